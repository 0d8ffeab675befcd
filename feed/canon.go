package feed

import (
	"net/url"
	"strings"
)

// trackingParams are query keys that identify a campaign, not a page: two
// links that differ only in them point at the same article.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "yclid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true,
}

// CanonicalURL returns link without tracking parameters (utm_* and the
// common click ids) or fragment, with scheme and host lower-cased and a
// default port removed. base resolves relative links; a link that cannot be
// parsed is returned trimmed but otherwise unchanged.
func CanonicalURL(link, base string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if !u.IsAbs() && base != "" {
		if b, err := url.Parse(base); err == nil {
			u = b.ResolveReference(u)
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		// Filter the raw pairs rather than re-encoding url.Values, which
		// would reorder the parameters that remain.
		var kept []string
		for _, pair := range strings.Split(u.RawQuery, "&") {
			key, _, _ := strings.Cut(pair, "=")
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
			lk := strings.ToLower(key)
			if pair == "" || strings.HasPrefix(lk, "utm_") || trackingParams[lk] {
				continue
			}
			kept = append(kept, pair)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	u.ForceQuery = false
	return u.String()
}

// SafeURL reports whether link may be shown as a clickable link: only
// http(s) URLs are, so that a feed cannot smuggle javascript: or data: in.
func SafeURL(link string) bool {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return false
	}
	s := strings.ToLower(u.Scheme)
	return (s == "http" || s == "https") && u.Host != ""
}
