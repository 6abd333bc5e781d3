module example.com/imgspec-e2e/hello

go 1.19
