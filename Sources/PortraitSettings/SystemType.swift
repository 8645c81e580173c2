import Foundation
import PortraitCore

/// A kind of system a configuration can name with `type = "…"`: each system target reads its own
/// table, as rclone's backends declare their own options, so the registry only maps names to types.
public protocol SystemType {
    /// The `type` value, e.g. "graph".
    static var typeName: String { get }
    /// Builds the system from its table, reading every key it takes; the caller refuses the rest.
    static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem
}

/// What a system's table is read with, besides the table.
public struct SystemContext: Sendable {
    public var environment: [String: String]
    /// `[images] max_input_mb`: photos larger than this are refused before they are read.
    public var maxInputBytes: Int

    public init(environment: [String: String], maxInputBytes: Int) {
        self.environment = environment
        self.maxInputBytes = maxInputBytes
    }
}

extension ConfigTable {
    /// The rendition profile keys every target takes: side, max_bytes, crop, upscale.
    public func profile(side defaultSide: Int, maxBytes defaultMaxBytes: Int? = nil) throws -> RenditionProfile {
        RenditionProfile(
            side: try int("side", in: 16...4096) ?? defaultSide,
            maxBytes: try int("max_bytes", in: 512...(Photo.maxInputBytes)) ?? defaultMaxBytes,
            crop: try crop() ?? .centre,
            upscale: try bool("upscale") ?? false)
    }

    /// `crop`: "face", "centre" or "attention"; the American "center" is the centre too.
    private func crop() throws -> CropMode? {
        guard let text = try string("crop") else { return nil }
        if text == "center" { return .centre }
        guard let crop = CropMode(rawValue: text) else {
            throw error("crop", "expected \"face\", \"centre\" (or \"center\") or \"attention\", found \"\(text)\"")
        }
        return crop
    }

    /// What a system refused while being built from this table, reported against the key it
    /// concerns: `ca_file`, none for the proxy environment, else the credential's key.
    public func error(_ refusal: SystemError, credentialKey: String) -> ConfigError {
        guard refusal.kind == .misconfigured else { return error(nil, refusal.message) }
        let key = refusal.message.contains("ca_file") ? "ca_file" : refusal.message.contains("HTTPS_PROXY") ? nil : credentialKey
        return error(key, refusal.message)
    }

    /// A base URL without a trailing slash: https, or plain http to this machine only (the
    /// sandbox, a local proxy).
    public func serviceURL(_ key: String, example: String) throws -> String? {
        guard let text = try string(key) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw error(key, "expected a URL such as \(example), found \"\(text)\"")
        }
        guard scheme == "https" || (scheme == "http" && Loopback.isLoopback(host: host)) else {
            throw error(key, "must use https (plain http is allowed only to this machine: 127.0.0.1, ::1 or localhost)")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
