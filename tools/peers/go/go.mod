module jsec/peers/go

go 1.19
