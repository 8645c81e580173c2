import CLDAP
import Foundation
import PortraitCore

/// The server, how to reach it, and the account Portrait binds as.
public struct LDAPEndpoint: Sendable {
    /// `ldaps://host[:port]`, or `ldap://host[:port]` (with `startTLS`, or to this machine only).
    public var url: String
    public var startTLS: Bool
    public var caFile: String?
    public var verifyTLS: Bool
    public var bindDN: String
    public var password: Secret
    /// Seconds a connection attempt may take, and any one operation.
    var connectTimeout = 10
    var operationTimeout = 120

    public init(url: String, startTLS: Bool = false, caFile: String? = nil, verifyTLS: Bool = true, bindDN: String, password: Secret) {
        self.url = url
        self.startTLS = startTLS
        self.caFile = caFile
        self.verifyTLS = verifyTLS
        self.bindDN = bindDN
        self.password = password
    }

    /// The host the URL names.
    var host: String { URL(string: url)?.host ?? url }
}

/// What libldap or the server answered when an operation failed: the result code, its name and
/// the server's diagnostic message (AD's says which check refused, e.g. `data 52e`).
struct LDAPFailure: Error, Sendable, CustomStringConvertible {
    var code: Int32
    var diagnostic: String?

    var name: String { String(cString: ldap_err2string(code)) }

    /// The connection is gone (or never came): a new one may succeed where this failed.
    var connectionLost: Bool { code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT }

    var description: String {
        let detail = diagnostic.flatMap { $0.isEmpty ? nil : $0 }
        return "LDAP \(code) \(name)" + (detail.map { ": \($0)" } ?? "")
    }
}

/// One entry of a search: its DN and the values asked for, by attribute name in lowercase.
struct LDAPEntry: Sendable {
    var dn: String
    var values: [String: [Data]]

    func first(_ attribute: String) -> Data? { values[attribute.lowercased()]?.first }

    func text(_ attribute: String) -> String? { first(attribute).flatMap { String(data: $0, encoding: .utf8) } }
}

/// One bound libldap handle. Its calls block, so it is only ever used on its `LDAPWorker`'s thread.
final class LDAPConnection {
    private let handle: OpaquePointer
    private let counter: OperationCounter

    /// Connects, starts TLS when asked, and binds; throws `LDAPFailure` saying which step failed.
    init(_ endpoint: LDAPEndpoint, counter: OperationCounter, bind: Bool = true) throws {
        self.counter = counter
        var handle: OpaquePointer?
        let initialized = ldap_initialize(&handle, endpoint.url)
        guard initialized == LDAP_SUCCESS, let handle else { throw LDAPFailure(code: initialized, diagnostic: "bad url \(endpoint.url)") }
        self.handle = handle
        var version = LDAP_VERSION3
        ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version)
        // AD answers searches at a domain's root with referrals to other partitions: not followed.
        ldap_set_option(handle, LDAP_OPT_REFERRALS, nil)
        var connect = timeval(tv_sec: endpoint.connectTimeout, tv_usec: 0)
        ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &connect)
        var operation = timeval(tv_sec: endpoint.operationTimeout, tv_usec: 0)
        ldap_set_option(handle, LDAP_OPT_TIMEOUT, &operation)
        if let caFile = endpoint.caFile { ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, caFile) }
        var demand = endpoint.verifyTLS ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        ldap_set_option(handle, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
        // The options above apply to a TLS context made after them.
        var server: Int32 = 0
        ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &server)
        if endpoint.startTLS {
            counter.add()
            try check(ldap_start_tls_s(handle, nil, nil))
        }
        guard bind else { return }
        var password = Array(endpoint.password.reveal().utf8CString.dropLast())
        try password.withUnsafeMutableBufferPointer { buffer in
            counter.add()
            var credential = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.baseAddress)
            try check(ldap_sasl_bind_s(handle, endpoint.bindDN, nil, &credential, nil, nil, nil))
        }
        for index in password.indices { password[index] = 0 }
    }

    deinit {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// Whether the server answers an anonymous read of its root when its certificate is not
    /// checked: libldap says only "can't contact" when TLS verification fails, and this tells the
    /// two apart without sending the password to a server whose certificate failed.
    static func answersWithoutVerifying(_ endpoint: LDAPEndpoint) -> Bool {
        var unverified = endpoint
        unverified.verifyTLS = false
        unverified.bindDN = ""
        unverified.password = Secret("")
        guard let connection = try? LDAPConnection(unverified, counter: OperationCounter(), bind: false) else { return false }
        return (try? connection.search(base: "", scope: .base, filter: "(objectClass=*)", attributes: ["vendorName"]) { _ in }) != nil
    }

    enum Scope {
        case base, subtree

        var value: Int32 { self == .base ? LDAP_SCOPE_BASE : LDAP_SCOPE_SUBTREE }
    }

    /// Searches, a page at a time when `pageSize` is set (the simple paged results control, so a
    /// directory larger than the server's size limit is read whole); `showDeleted` asks AD to
    /// include deleted objects. `onPage` gets each page's entries as it arrives.
    func search(base: String, scope: Scope, filter: String, attributes: [String], pageSize: Int? = nil,
                sizeLimit: Int32 = 0, showDeleted: Bool = false, onPage: ([LDAPEntry]) throws -> Void) throws {
        var cookie: Data?
        repeat {
            var controls: [UnsafeMutablePointer<LDAPControl>?] = []
            defer { for control in controls { ldap_control_free(control) } }
            if let pageSize {
                var control: UnsafeMutablePointer<LDAPControl>?
                try withBerval(cookie ?? Data()) { value in
                    try check(ldap_create_page_control(handle, ber_int_t(pageSize), value, 0, &control))
                }
                controls.append(control)
            }
            if showDeleted {
                var control: UnsafeMutablePointer<LDAPControl>?
                try check(ldap_control_create("1.2.840.113556.1.4.417", 1, nil, 0, &control))
                controls.append(control)
            }
            controls.append(nil)

            var result: OpaquePointer?
            defer { ldap_msgfree(result) }
            counter.add()
            let code = withCStrings(attributes) { names in
                controls.withUnsafeMutableBufferPointer { serverControls in
                    ldap_search_ext_s(handle, base, scope.value, filter, names, 0,
                                      serverControls.count > 1 ? serverControls.baseAddress : nil, nil, nil, sizeLimit, &result)
                }
            }
            // A search limited on purpose ends "size limit exceeded" with the entries asked for.
            if !(sizeLimit > 0 && code == LDAP_SIZELIMIT_EXCEEDED) { try check(code) }
            try onPage(entries(of: result))
            cookie = pageSize == nil ? nil : try nextCookie(of: result)
        } while cookie != nil
    }

    /// Replaces each attribute's values; an empty list removes the attribute (and is no error when
    /// it was not there).
    func replace(dn: String, _ changes: [(attribute: String, values: [Data])]) throws {
        var retained: [UnsafeMutableRawPointer] = []
        defer { for pointer in retained { free(pointer) } }
        func copy(_ bytes: Data) -> UnsafeMutablePointer<CChar> {
            let pointer = malloc(max(bytes.count, 1))!.bindMemory(to: CChar.self, capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in if let base = raw.baseAddress { memcpy(pointer, base, bytes.count) } }
            retained.append(UnsafeMutableRawPointer(pointer))
            return pointer
        }
        var mods: [UnsafeMutablePointer<LDAPMod>?] = changes.map { change in
            let values = UnsafeMutablePointer<UnsafeMutablePointer<berval>?>.allocate(capacity: change.values.count + 1)
            for (index, bytes) in change.values.enumerated() {
                let value = UnsafeMutablePointer<berval>.allocate(capacity: 1)
                value.initialize(to: berval(bv_len: ber_len_t(bytes.count), bv_val: copy(bytes)))
                values[index] = value
            }
            values[change.values.count] = nil
            let mod = UnsafeMutablePointer<LDAPMod>.allocate(capacity: 1)
            var entry = LDAPMod()
            entry.mod_op = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES
            entry.mod_type = strdup(change.attribute)
            entry.mod_vals.modv_bvals = values
            mod.initialize(to: entry)
            return mod
        }
        mods.append(nil)
        defer {
            for case let mod? in mods {
                free(mod.pointee.mod_type)
                var index = 0
                while let value = mod.pointee.mod_vals.modv_bvals[index] {
                    value.deallocate()
                    index += 1
                }
                mod.pointee.mod_vals.modv_bvals.deallocate()
                mod.deallocate()
            }
        }
        counter.add()
        try mods.withUnsafeMutableBufferPointer { buffer in
            try check(ldap_modify_ext_s(handle, dn, buffer.baseAddress, nil, nil))
        }
    }

    // MARK: - Results

    private func entries(of result: OpaquePointer?) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(handle, result)
        while let entry = message {
            defer { message = ldap_next_entry(handle, entry) }
            var dn = ""
            if let name = ldap_get_dn(handle, entry) {
                dn = String(cString: name)
                ldap_memfree(name)
            }
            var values: [String: [Data]] = [:]
            var ber: OpaquePointer?
            var attribute = ldap_first_attribute(handle, entry, &ber)
            while let name = attribute {
                if let list = ldap_get_values_len(handle, entry, name) {
                    var index = 0
                    var found: [Data] = []
                    while let value = list[index] {
                        found.append(value.pointee.bv_val.map { Data(bytes: $0, count: Int(value.pointee.bv_len)) } ?? Data())
                        index += 1
                    }
                    ldap_value_free_len(list)
                    values[String(cString: name).lowercased()] = found
                }
                ldap_memfree(name)
                attribute = ldap_next_attribute(handle, entry, ber)
            }
            if let ber { ber_free(ber, 0) }
            entries.append(LDAPEntry(dn: dn, values: values))
        }
        return entries
    }

    /// The paged results cookie of the answer; nil on the last page.
    private func nextCookie(of result: OpaquePointer?) throws -> Data? {
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        var code: Int32 = 0
        try check(ldap_parse_result(handle, result, &code, nil, nil, nil, &controls, 0))
        defer { ldap_controls_free(controls) }
        guard let found = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nil) else { return nil }
        var count: ber_int_t = 0
        var cookie = berval()
        try check(ldap_parse_pageresponse_control(handle, found, &count, &cookie))
        defer { ber_memfree(cookie.bv_val) }
        guard cookie.bv_len > 0, let bytes = cookie.bv_val else { return nil }
        return Data(bytes: bytes, count: Int(cookie.bv_len))
    }

    private func check(_ code: Int32) throws {
        guard code != LDAP_SUCCESS else { return }
        var message: UnsafeMutablePointer<CChar>?
        ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message)
        // GnuTLS failures come through as this, which says nothing.
        let diagnostic = message.map { String(cString: $0) }.flatMap { $0 == "(unknown error code)" ? nil : $0 }
        if let message { ldap_memfree(message) }
        throw LDAPFailure(code: code, diagnostic: diagnostic)
    }
}

private func withBerval<T>(_ bytes: Data, _ body: (UnsafeMutablePointer<berval>) throws -> T) rethrows -> T {
    var copy = [CChar](repeating: 0, count: max(bytes.count, 1))
    bytes.withUnsafeBytes { raw in if let base = raw.baseAddress { memcpy(&copy, base, bytes.count) } }
    return try copy.withUnsafeMutableBufferPointer { buffer in
        var value = berval(bv_len: ber_len_t(bytes.count), bv_val: buffer.baseAddress)
        return try body(&value)
    }
}

/// A NULL-terminated `char **` of the strings, for the duration of `body`.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
