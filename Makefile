# Portrait — the two commands a newcomer needs are `make demo` and `make test`.
.PHONY: deps build test demo console bench bench-graph bench-google bench-ldap bench-sync bench-console clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test: deps
	swift build --build-tests
	swift test --skip-build

# Example portraits → a 648 folder, a 96 ≤ 10 KB folder and the sandbox's Microsoft 365 tenant and
# Google domain; then pulled back.
demo: build
	scripts/demo.sh

# The demo, then HR's console on it at http://127.0.0.1:8651/ until Ctrl-C.
console: build
	CONSOLE=1 scripts/demo.sh

bench: deps
	swift run -c release portrait-bench

bench-graph: deps
	swift run -c release portrait-bench graph

bench-google: deps
	swift run -c release portrait-bench google

# Needs root: starts a throwaway Samba AD DC on 127.0.0.1 (scripts/samba-dc.sh).
bench-ldap: deps
	swift run -c release portrait-bench ldap

# 10,000 people in Entra, Google and a folder; 1% changed in Entra; beside a plain client.
bench-sync: deps
	swift run -c release portrait-bench sync

bench-console: deps
	swift run -c release portrait-bench console

clean:
	rm -rf .build demo
