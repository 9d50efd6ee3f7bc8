module github.com/wxgo/offiaccount

go 1.22
