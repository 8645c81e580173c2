import PortraitCore

/// Runs `work` for everyone a listing yields that `include` lets through, at most `width` at
/// once, as pages arrive: the listing is never held whole. `onPage` sees each page (and how many
/// of it were let through) before its people start; `collect` gets each result as it finishes.
/// Once `stop` is requested no one else starts; those in flight finish.
func forEachPerson<Result: Sendable>(
    in pages: AsyncThrowingStream<PeoplePage, any Error>,
    width: Int,
    stop: StopSignal,
    include: (Account) -> Bool = { _ in true },
    onPage: (PeoplePage, Int) -> Void,
    work: @escaping @Sendable (Account) async -> Result,
    collect: (Result) -> Void
) async throws {
    try await withThrowingTaskGroup(of: Result.self) { group in
        var inFlight = 0
        listing: for try await page in pages {
            let people = page.accounts.filter(include)
            onPage(page, people.count)
            for account in people {
                if inFlight >= width, let result = try await group.next() {
                    collect(result)
                    inFlight -= 1
                }
                if stop.requested { break listing }
                group.addTask { await work(account) }
                inFlight += 1
            }
        }
        for try await result in group { collect(result) }
    }
}
