# cbcheck in a container: a static (musl) build, copied into distroless/static, which
# holds CA certificates and nothing else, and runs as a non-root user.
#
#   docker run --rm -v "$PWD:/work" -e CBCHECK_SECRET_KEY ghcr.io/cbcheck/cbcheck verify callbacks.yaml

FROM rust:1.95-alpine AS build
# musl-dev: the C library the static link needs (ring compiles a little C). The base
# image's tag pins the toolchain; Alpine's musl-dev follows its release.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# The dist profile (Cargo.toml): the binary the release archives hold.
RUN cargo build --profile dist --locked && cp target/dist/cbcheck /cbcheck

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /cbcheck /usr/local/bin/cbcheck
WORKDIR /work
# distroless's nonroot user, by number so that every runtime can resolve it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cbcheck"]
CMD ["--help"]
