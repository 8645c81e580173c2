import CLDAP
import Foundation
import PortraitCore

/// LDAP result codes turned into messages that name the cause and the fix.
enum LDAPError {
    /// A failure to connect, start TLS or bind: the whole system is unusable.
    static func connecting(_ failure: LDAPFailure, system: String, endpoint: LDAPEndpoint, certificateRefused: Bool = false) -> SystemError {
        switch failure.code {
        case LDAP_INVALID_CREDENTIALS:
            return SystemError(.unauthorized, "\(system): the server refused to bind as \(endpoint.bindDN) (\(failure))\(adReason(failure)); check `bind_dn` and the password")
        case LDAP_STRONG_AUTH_REQUIRED, LDAP_CONFIDENTIALITY_REQUIRED:
            return SystemError(.misconfigured, "\(system): \(endpoint.url) refuses a password bind without encryption (\(failure)); use ldaps:// or set `starttls = true`")
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_TIMEOUT:
            let said = failure.diagnostic ?? ""
            if certificateRefused {
                let trusted = endpoint.caFile.map { "the CA in tls_ca_file \($0)" } ?? "this machine's trusted CAs"
                // libldap checks a certificate against this machine's own name when the URL says localhost.
                let localhost = endpoint.host.lowercased() == "localhost" ? " (for localhost, libldap expects this machine's own name in the certificate: use 127.0.0.1 or that name)" : ""
                return SystemError(.unreachable, "\(system): the certificate of \(endpoint.url) is not signed by \(trusted), or does not name \(endpoint.host)\(localhost); set `tls_ca_file` to the PEM file of the CA that issued it, and use a host name the certificate names (the password was not sent)")
            }
            return SystemError(.unreachable, "\(system): cannot reach \(endpoint.url)\(said.isEmpty ? "" : ": \(said)") (\(failure.name)); check `url`, the port and the firewall")
        default:
            return SystemError(.failed, "\(system): cannot connect to \(endpoint.url): \(failure)")
        }
    }

    /// A failed operation on an entry (`dn`), for `action` ("write thumbnailPhoto").
    static func operation(_ failure: LDAPFailure, system: String, action: String, dn: String, bytes: Int? = nil) -> SystemError {
        switch failure.code {
        case LDAP_INSUFFICIENT_ACCESS:
            return SystemError(.rejected, "\(system): the bind account may not \(action) on \(dn) (\(failure)); delegate 'Write \(attribute(of: action))' on the OU to it")
        case LDAP_NO_SUCH_OBJECT:
            return SystemError(.notFound, "\(system): \(dn) is no longer in the directory (\(failure.name)); it was deleted or moved since it was listed")
        case LDAP_CONSTRAINT_VIOLATION, LDAP_INVALID_SYNTAX:
            if let bytes, bytes > LDAPSettings.thumbnailLimit {
                return SystemError(.rejected, "\(system): photo too large for thumbnailPhoto (\(bytes.formatted()) bytes > 102,400)")
            }
            return SystemError(.rejected, "\(system): the server refused to \(action) on \(dn) (\(failure))")
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_TIMEOUT:
            return SystemError(.unreachable, "\(system): the server stopped answering (\(failure))")
        default:
            return SystemError(.failed, "\(system): could not \(action) on \(dn) (\(failure))")
        }
    }

    /// A failed search of the configured base: a wrong base DN or filter stops the run.
    static func listing(_ failure: LDAPFailure, system: String, settings: LDAPSettings) -> SystemError {
        switch failure.code {
        case LDAP_NO_SUCH_OBJECT:
            return SystemError(.misconfigured, "\(system): base_dn \(settings.baseDN) does not exist on the server (\(failure.name)); check `base_dn`")
        case LDAP_FILTER_ERROR:
            return SystemError(.misconfigured, "\(system): `filter` \(settings.filter) is not a valid LDAP filter (\(failure))")
        case LDAP_INSUFFICIENT_ACCESS:
            return SystemError(.unauthorized, "\(system): \(settings.endpoint.bindDN) may not read \(settings.baseDN) (\(failure))")
        default:
            return operation(failure, system: system, action: "search", dn: settings.baseDN)
        }
    }

    private static func attribute(of action: String) -> String {
        action.split(separator: " ").last.map(String.init) ?? action
    }

    /// AD says why a bind failed in its diagnostic as `data 52e`, and so on.
    private static func adReason(_ failure: LDAPFailure) -> String {
        let reasons = ["525": "no such user", "52e": "wrong password", "530": "not permitted at this time",
                       "531": "not permitted from this workstation", "532": "password expired", "533": "account disabled",
                       "701": "account expired", "773": "the password must be changed", "775": "account locked out"]
        guard let said = failure.diagnostic?.lowercased(), let range = said.range(of: "data ") else { return "" }
        let code = said[range.upperBound...].prefix(3)
        return reasons[String(code)].map { ": \($0)" } ?? ""
    }
}
