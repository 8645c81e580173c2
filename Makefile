# Portrait — the two commands a newcomer needs are `make demo` and `make test`.
PORTRAIT := .build/debug/portrait
DEMO := demo

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test: deps
	swift build --build-tests
	swift test --skip-build

# Example portraits → a folder of 648 renditions and a folder of 96 ≤ 10 KB thumbnails.
demo: build
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(PORTRAIT) samples $(DEMO)/photos --count 24
	cp examples/portrait.toml $(DEMO)/portrait.toml
	$(PORTRAIT) check --config $(DEMO)/portrait.toml
	@echo; echo "== Dry run: what would be written"
	$(PORTRAIT) push --config $(DEMO)/portrait.toml --from photographer --to directory,thumbnails --dry-run
	@echo; echo "== Push"
	$(PORTRAIT) push --config $(DEMO)/portrait.toml --from photographer --to directory,thumbnails
	@echo; echo "== Push again: nothing changed, nothing is written"
	$(PORTRAIT) push --config $(DEMO)/portrait.toml --from photographer --to directory,thumbnails
	@echo; echo "Renditions: $(DEMO)/out/648 ($$(ls $(DEMO)/out/648 | wc -l) files) and $(DEMO)/out/96 ($$(ls $(DEMO)/out/96 | wc -l) files, largest $$(ls -S -l $(DEMO)/out/96 | awk 'NR==2 {print $$5}') bytes)"

bench: deps
	swift run -c release portrait-bench

clean:
	rm -rf .build $(DEMO)
