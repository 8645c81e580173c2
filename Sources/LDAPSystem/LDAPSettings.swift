import Foundation
import PortraitCore

/// What a `type = "ldap"` system is configured with.
public struct LDAPSettings: Sendable {
    /// The entry attribute a source's person is found by.
    public enum MatchAttribute: String, Sendable, CaseIterable {
        case mail
        case userPrincipalName
        case employeeID
        case sAMAccountName

        var rules: [MatchRule] {
            switch self {
            case .mail: [.same(.mail), MatchRule(.userPrincipalName, to: .mail)]
            case .userPrincipalName: [.same(.userPrincipalName), MatchRule(.mail, to: .userPrincipalName)]
            case .employeeID: [.same(.employeeId)]
            case .sAMAccountName: [.same(.accountName)]
            }
        }
    }

    public var endpoint: LDAPEndpoint
    public var baseDN: String
    public var filter: String
    public var match: MatchAttribute
    public var pageSize: Int
    public var connections: Int
    /// `thumbnailPhoto`, and `jpegPhoto` when `jpeg_photo = true`.
    public var thumbnail: RenditionProfile
    public var jpegPhoto: RenditionProfile?

    public static let defaultFilter = "(&(objectCategory=person)(objectClass=user))"
    public static let defaultPageSize = 500
    public static let defaultConnections = 4
    /// AD's `rangeUpper` for thumbnailPhoto.
    public static let thumbnailLimit = 102_400
    /// Exchange Online takes a thumbnailPhoto from AD only at 96×96 and at most 10 KB.
    public static let defaultThumbnail = RenditionProfile(side: 96, maxBytes: 10_240)
    public static let jpegPhotoSide = 648

    public init(endpoint: LDAPEndpoint, baseDN: String, filter: String = defaultFilter, match: MatchAttribute = .mail,
                pageSize: Int = defaultPageSize, connections: Int = defaultConnections,
                thumbnail: RenditionProfile = defaultThumbnail, jpegPhoto: RenditionProfile? = nil) {
        self.endpoint = endpoint
        self.baseDN = baseDN
        self.filter = filter
        self.match = match
        self.pageSize = pageSize
        self.connections = connections
        self.thumbnail = thumbnail
        self.jpegPhoto = jpegPhoto
    }
}
