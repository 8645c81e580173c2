import Foundation
import GRDB

/// A console account of the local kind (`portrait user add`): its password only as a bcrypt hash.
public struct ConsoleUser: Sendable, Equatable {
    public var name: String
    public var passwordHash: String
    /// `approver` or `viewer`.
    public var role: String
    public var createdAt: Date
}

/// A signed-in console session, found by the SHA-256 of its cookie's token.
public struct ConsoleSession: Sendable, Equatable {
    /// Who signed in, as the console shows and the audit log records them.
    public var name: String
    public var role: String
    public var createdAt: Date
    public var lastSeen: Date
}

extension Store {
    // MARK: - Console accounts

    /// Adds a local account; false if one of that name (any case) exists.
    public func addConsoleUser(name: String, passwordHash: String, role: String) async throws -> Bool {
        try await db.write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM console_user WHERE name = ?", arguments: [name]) == nil else { return false }
            try db.execute(sql: "INSERT INTO console_user (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, passwordHash, role, Date()])
            return true
        }
    }

    /// Sets an account's password hash; the account's sessions end.
    public func setConsolePassword(name: String, passwordHash: String) async throws -> Bool {
        try await changeConsoleUser(name, "UPDATE console_user SET password_hash = ? WHERE name = ?", [passwordHash, name])
    }

    /// Sets an account's role; its sessions end, so that the new role applies from the next sign-in.
    public func setConsoleRole(name: String, role: String) async throws -> Bool {
        try await changeConsoleUser(name, "UPDATE console_user SET role = ? WHERE name = ?", [role, name])
    }

    /// Removes an account and ends its sessions; false if there was none.
    public func removeConsoleUser(name: String) async throws -> Bool {
        try await changeConsoleUser(name, "DELETE FROM console_user WHERE name = ?", [name])
    }

    /// Runs `sql` on the account `name`; if it changed one, that account's sessions end. False if
    /// there was no such account.
    private func changeConsoleUser(_ name: String, _ sql: String, _ arguments: StatementArguments) async throws -> Bool {
        try await db.write { db in
            try db.execute(sql: sql, arguments: arguments)
            guard db.changesCount > 0 else { return false }
            // Names match in any case, as accounts do (`portrait user passwd HR.ANNA`).
            try db.execute(sql: "DELETE FROM console_session WHERE name = ? COLLATE NOCASE", arguments: [name])
            return true
        }
    }

    public func consoleUser(named name: String) async throws -> ConsoleUser? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE name = ?", arguments: [name]).map(Self.consoleUser)
        }
    }

    public func consoleUsers() async throws -> [ConsoleUser] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM console_user ORDER BY name").map(Self.consoleUser)
        }
    }

    private static func consoleUser(_ row: Row) -> ConsoleUser {
        ConsoleUser(name: row["name"], passwordHash: row["password_hash"], role: row["role"], createdAt: row["created_at"])
    }

    // MARK: - Console sessions

    public func openConsoleSession(tokenSHA256: String, name: String, role: String, at now: Date = Date()) async throws {
        try await db.write { db in
            try db.execute(sql: "INSERT INTO console_session (token_sha256, name, role, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                           arguments: [tokenSHA256, name, role, now, now])
        }
    }

    /// The session, if it was used within `idle`; its last use becomes `now` (written at most
    /// once a minute: a page of photos is many requests). An idle one ends.
    public func consoleSession(tokenSHA256: String, idle: TimeInterval, at now: Date = Date()) async throws -> ConsoleSession? {
        let found = try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM console_session WHERE token_sha256 = ?", arguments: [tokenSHA256]).map {
                ConsoleSession(name: $0["name"], role: $0["role"], createdAt: $0["created_at"], lastSeen: $0["last_seen"])
            }
        }
        guard var session = found else { return nil }
        let unused = now.timeIntervalSince(session.lastSeen)
        if unused > idle {
            try await closeConsoleSession(tokenSHA256: tokenSHA256)
            return nil
        }
        if unused > 60 {
            try await db.write { db in
                try db.execute(sql: "UPDATE console_session SET last_seen = ? WHERE token_sha256 = ?", arguments: [now, tokenSHA256])
            }
            session.lastSeen = now
        }
        return session
    }

    public func closeConsoleSession(tokenSHA256: String) async throws {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE token_sha256 = ?", arguments: [tokenSHA256])
        }
    }

    /// Ends every session idle for longer than `idle`.
    public func closeIdleConsoleSessions(idle: TimeInterval, at now: Date = Date()) async throws {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE last_seen < ?", arguments: [now.addingTimeInterval(-idle)])
        }
    }
}
