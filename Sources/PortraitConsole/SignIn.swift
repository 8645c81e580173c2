import Foundation
import HummingbirdBcrypt
import PortraitCore
import PortraitStore

/// Local console accounts (`type = "local"`): for first setup and sites without an identity
/// provider. Passwords are kept as bcrypt hashes.
public enum LocalAccounts {
    /// bcrypt's work factor: about a quarter of a second per sign-in on a small server.
    public static let cost: UInt8 = 12
    public static let minimumPasswordLength = 12
    /// bcrypt reads no further: a longer password would sign in by its first 72 bytes alone.
    public static let maximumPasswordBytes = 72

    /// Why a new password is refused, or nil.
    public static func problem(with password: String) -> String? {
        if password.count < minimumPasswordLength { return "a password needs at least \(minimumPasswordLength) characters" }
        if password.utf8.count > maximumPasswordBytes { return "a password is at most \(maximumPasswordBytes) bytes (bcrypt reads no further)" }
        if password.allSatisfy(\.isWhitespace) { return "a password of spaces alone is no password" }
        return nil
    }

    public static func hash(_ password: String, cost: UInt8 = cost) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// The account (its name as added, and role) if the password is right. An unknown name
    /// costs the same time as a wrong password, so that timing does not tell which names exist.
    static func verify(name: String, password: String, in store: Store) async throws -> (name: String, role: ConsoleRole)? {
        let user = try await store.consoleUser(named: name)
        // A quarter of a second of CPU: on Dispatch's threads, so that the console's few
        // cooperative threads go on answering every other request (and a sync) meanwhile.
        let matches = try await offload { Bcrypt.verify(password, hash: user?.passwordHash ?? unknownUserHash) }
        guard let user, matches, let role = ConsoleRole(rawValue: user.role) else { return nil }
        return (user.name, role)
    }

    /// A hash no password is known for, verified against when the name is unknown.
    private static let unknownUserHash = Bcrypt.hash(SessionToken.make(), cost: cost)
}

/// Failed sign-ins, by account name and client address: after `limit` failures within `window`,
/// that name is refused from that address until `window` has passed since its last failure — so
/// guessing stays slow, and nobody elsewhere can lock an approver out by guessing their name.
actor SignInLimiter {
    static let limit = 5
    static let window: TimeInterval = 15 * 60

    private var failures: [String: [Date]] = [:]

    /// When the name may try again, if it is locked out now.
    func lockedUntil(_ name: String, now: Date = Date()) -> Date? {
        let recent = recentFailures(of: name, now: now)
        guard recent.count >= Self.limit, let last = recent.last else { return nil }
        return last.addingTimeInterval(Self.window)
    }

    func failed(_ name: String, now: Date = Date()) {
        let key = name.lowercased()
        failures[key] = recentFailures(of: key, now: now) + [now]
        // Names tried long ago are forgotten, so that the table stays small under a flood.
        if failures.count > 10_000 {
            failures = failures.filter { $0.value.last.map { now.timeIntervalSince($0) < Self.window } ?? false }
        }
    }

    func succeeded(_ name: String) {
        failures[name.lowercased()] = nil
    }

    private func recentFailures(of name: String, now: Date) -> [Date] {
        (failures[name.lowercased()] ?? []).filter { now.timeIntervalSince($0) < Self.window }
    }
}
