import PortraitCore

/// Runs `work` for everyone a listing yields, at most `width` at once, as pages arrive: the
/// listing is never held whole. `onPage` sees each page before its people start; `collect` gets
/// each result as it finishes.
func forEachPerson<Result: Sendable>(
    in pages: AsyncThrowingStream<PeoplePage, any Error>,
    width: Int,
    onPage: (PeoplePage) -> Void,
    work: @escaping @Sendable (Account) async -> Result,
    collect: (Result) -> Void
) async throws {
    try await withThrowingTaskGroup(of: Result.self) { group in
        var inFlight = 0
        for try await page in pages {
            onPage(page)
            for account in page.accounts {
                if inFlight >= width, let result = try await group.next() {
                    collect(result)
                    inFlight -= 1
                }
                group.addTask { await work(account) }
                inFlight += 1
            }
        }
        for try await result in group { collect(result) }
    }
}
