module github.com/aggregate-dev/aggregate

go 1.26.8
