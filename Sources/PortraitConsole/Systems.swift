import Foundation
import PortraitCore

/// One system as `portrait check` finds it.
public struct SystemCheck: Sendable, Equatable {
    public var name: String
    /// Where it is: a folder, a tenant, a domain, a directory server.
    public var location: String
    /// Reached, and its people listed; otherwise `problem` says why not.
    public var ok: Bool
    public var people: Int
    public var problem: String?
    public var errors: [String]
    public var warnings: [String]

    public init(name: String, location: String, ok: Bool, people: Int, problem: String?, errors: [String], warnings: [String]) {
        self.name = name
        self.location = location
        self.ok = ok
        self.people = people
        self.problem = problem
        self.errors = errors
        self.warnings = warnings
    }
}

/// Checks every system of portrait.toml as `portrait check` does; the app provides it, so that
/// the console builds no system itself.
public protocol ConsoleChecking: Sendable {
    func checkSystems() async -> [SystemCheck]
}

/// The last check of every system, and one running at a time: checking lists each system's
/// people, too slow to do for every page view, so it runs when the console starts and when
/// someone asks, and the page shows the latest.
actor SystemsMonitor {
    private let checking: (any ConsoleChecking)?
    /// Whether this console was given its systems to check.
    nonisolated let canCheck: Bool
    private(set) var last: (results: [SystemCheck], at: Date)?
    private(set) var running = false

    init(checking: (any ConsoleChecking)?) {
        self.checking = checking
        canCheck = checking != nil
    }

    /// Starts a check unless one is running; false when there is nothing to check with.
    @discardableResult
    func start() -> Bool {
        guard let checking else { return false }
        guard !running else { return true }
        running = true
        Task {
            let results = await checking.checkSystems()
            finish(results)
        }
        return true
    }

    private func finish(_ results: [SystemCheck]) {
        last = (results, Date())
        running = false
    }
}
