module github.com/lumadb/lumadb-go

go 1.19
