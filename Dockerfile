# Build the server and both portals, then ship them on a slim runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown
COPY . .
RUN scripts/build-portals.sh \
 && cargo build --release -p fairydust-server --bin server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app fairydust
WORKDIR /app
COPY --from=build /src/target/release/server /usr/local/bin/server
COPY --from=build /src/dist ./dist
USER fairydust
ENV HOST=0.0.0.0 PORT=8000 PORTALS_DIR=/app/dist
EXPOSE 8000
HEALTHCHECK CMD curl -fsS http://localhost:8000/health || exit 1
ENTRYPOINT ["server"]
CMD ["serve"]
