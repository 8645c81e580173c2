import PortraitCore

/// Who may use the console when people sign in with the organisation's identity provider:
/// `approvers` and `viewers` of `[serve.auth]`, each a list of accounts ("anna@example.com"),
/// domains ("@example.com") and Entra groups ("group:<object id>"). Approvers win over viewers;
/// anyone on neither list is turned away.
public struct ConsoleAccess: Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        case account(String)
        case domain(String)
        case group(String)

        func admits(_ identity: SignedInIdentity) -> Bool {
            switch self {
            case .account(let mail): identity.mail == mail
            case .domain(let domain): identity.mail.hasSuffix("@" + domain)
            case .group(let id): identity.groups.contains { $0.lowercased() == id }
            }
        }
    }

    public var approvers: [Rule]
    public var viewers: [Rule]

    public init(approvers: [Rule], viewers: [Rule]) {
        self.approvers = approvers
        self.viewers = viewers
    }

    public func role(of identity: SignedInIdentity) -> ConsoleRole? {
        if approvers.contains(where: { $0.admits(identity) }) { return .approver }
        if viewers.contains(where: { $0.admits(identity) }) { return .viewer }
        return nil
    }

    /// One entry of `approvers` or `viewers`, or why it is not one.
    public static func rule(_ text: String) -> Result<Rule, RuleError> {
        let entry = text.trimmingCharacters(in: .whitespaces).lowercased()
        if entry.hasPrefix("group:") {
            let id = String(entry.dropFirst("group:".count))
            guard !id.isEmpty, !id.contains(where: \.isWhitespace) else { return .failure(RuleError("\"\(text)\" names no group; write group:<the group's object id>")) }
            return .success(.group(id))
        }
        if entry.hasPrefix("@") {
            let domain = String(entry.dropFirst())
            guard domain.contains("."), !domain.contains("@"), !domain.contains(where: \.isWhitespace) else {
                return .failure(RuleError("\"\(text)\" is not a domain; write @example.com"))
            }
            return .success(.domain(domain))
        }
        let parts = entry.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !entry.contains(where: \.isWhitespace) else {
            return .failure(RuleError("\"\(text)\" is neither an account (anna@example.com), a domain (@example.com) nor a group (group:<object id>)"))
        }
        return .success(.account(entry))
    }

    public struct RuleError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
