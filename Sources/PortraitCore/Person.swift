/// The attributes by which a person in one system is found in another.
public enum MatchKey: String, Sendable, CaseIterable, Codable {
    case mail
    case userPrincipalName
    case employeeId
    /// A directory's logon name (AD's `sAMAccountName`), compared without regard to case.
    case accountName
}

/// One way a target finds a source's person: the source's `source` key compared with the
/// target's `target` key (a photographer's mail against Entra's `mail`, or against its UPN).
public struct MatchRule: Sendable, Hashable, CustomStringConvertible {
    public var source: MatchKey
    public var target: MatchKey

    public init(_ source: MatchKey, to target: MatchKey) {
        self.source = source
        self.target = target
    }

    /// The same key on both sides.
    public static func same(_ key: MatchKey) -> MatchRule { MatchRule(key, to: key) }

    public var description: String { source == target ? source.rawValue : "\(source.rawValue) → \(target.rawValue)" }
}

/// What a system knows that identifies a person across systems. Values are compared
/// case-insensitively for mail and UPN, so they are stored lowercased.
public struct MatchKeys: Sendable, Hashable, Codable {
    public var mail: String?
    public var userPrincipalName: String?
    public var employeeId: String?
    public var accountName: String?

    public init(mail: String? = nil, userPrincipalName: String? = nil, employeeId: String? = nil, accountName: String? = nil) {
        self.mail = Self.normalised(mail, lowercase: true)
        self.userPrincipalName = Self.normalised(userPrincipalName, lowercase: true)
        self.employeeId = Self.normalised(employeeId, lowercase: false)
        self.accountName = Self.normalised(accountName, lowercase: true)
    }

    /// Keys read back from the store, where only normalised keys are written: not normalised
    /// again (for 10,000 people that was most of the time of naming them).
    public init(normalised mail: String?, userPrincipalName: String?, employeeId: String?, accountName: String?) {
        self.mail = mail
        self.userPrincipalName = userPrincipalName
        self.employeeId = employeeId
        self.accountName = accountName
    }

    public subscript(key: MatchKey) -> String? {
        switch key {
        case .mail: mail
        case .userPrincipalName: userPrincipalName
        case .employeeId: employeeId
        case .accountName: accountName
        }
    }

    /// Every key, lowercased: what a person may be named by on the command line (`--only`, `--person`).
    public var names: Set<String> {
        Set([mail, userPrincipalName, employeeId?.lowercased(), accountName].compactMap { $0 })
    }

    /// The most readable key, for reports: mail, then UPN, then employee id, then logon name.
    public var label: String? { mail ?? userPrincipalName ?? employeeId ?? accountName }

    private static func normalised(_ value: String?, lowercase: Bool) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty
        else { return nil }
        return lowercase ? trimmed.lowercased() : trimmed
    }
}

/// Whether a listing says anything about a person's photo.
public enum PhotoPresence: Sendable, Hashable {
    /// The listing shows no photo.
    case absent
    /// The listing shows a photo at this version (etag, change counter, size and mtime).
    case present(version: String)
    /// The listing does not say; ask the system per person if it can.
    case unknown

    public var version: String? {
        if case .present(let version) = self { version } else { nil }
    }
}

/// A person as one system lists them.
public struct Account: Sendable, Hashable {
    /// Stable for the life of the account within its system (object id, GUID, file name).
    public var id: String
    public var keys: MatchKeys
    public var photo: PhotoPresence

    public init(id: String, keys: MatchKeys, photo: PhotoPresence) {
        self.id = id
        self.keys = keys
        self.photo = photo
    }

    /// How reports name this person.
    public var label: String { keys.label ?? id }
}
