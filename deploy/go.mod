module github.com/golocust/locust/deploy

go 1.26.0
