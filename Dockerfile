# Build a static astra binary, then ship it alone.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/astra ./cmd/astra

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/astra /usr/local/bin/astra
ENV ASTRA_HTTP_ADDR=0.0.0.0:8080 ASTRA_DATA_DIR=/var/lib/astra
VOLUME /var/lib/astra
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/astra"]
CMD ["serve"]
