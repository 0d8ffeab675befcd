//go:build !unix

package dedupe

import (
	"errors"
	"os"
)

var errNoMap = errors.New("mapping files into memory is not supported on this system")

func mapFile(*os.File, int64, int) ([]byte, error) { return nil, errNoMap }

func unmapFile([]byte) error { return nil }
