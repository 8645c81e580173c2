import Foundation
import PortraitCore
import PortraitImaging

/// The copy a cloud service keeps of an upload, never the bytes sent. The services do that work on
/// their own servers, so the emulator must not take the measured client's CPU for it: an upload
/// that is already what the service keeps gets a marker of the service's own (other bytes, the
/// same pixels); any other is cropped, scaled and re-encoded when first read.
enum ServiceCopy {
    /// A JPEG with a comment segment after its start marker.
    static func marked(_ jpeg: Data, by service: String) -> Data {
        let comment = Array(service.utf8)
        let length = comment.count + 2
        var copy = Data(jpeg.prefix(2))
        copy.append(contentsOf: [0xFF, 0xFE, UInt8(length >> 8), UInt8(length & 0xFF)] + comment)
        copy.append(jpeg.dropFirst(2))
        return copy
    }

    /// Whether an upload is already a JPEG square of at most `side` (exactly `side` when `exact`).
    static func isKept(_ upload: Data, header: ImageHeader, side: Int, exact: Bool) -> Bool {
        header.width == header.height && (exact ? header.width == side : header.width <= side) && upload.starts(with: [0xFF, 0xD8])
    }

    /// The service's copy of an upload, made off the cooperative threads; an upload whose header
    /// was fine but whose pixels are not is served as it came.
    static func reencoded(_ upload: Data, side: Int, upscale: Bool, pipeline: ImagePipeline) async -> Data {
        let copy = try? await offload {
            try pipeline.render(Photo(bytes: upload, version: nil, origin: "upload"),
                                profiles: [RenditionProfile(side: side, upscale: upscale)]).renditions.first?.bytes
        }
        return copy.flatMap { $0 } ?? upload
    }
}

/// A JWT as a token endpoint receives it: decoded header and claims, the signed input and the
/// signature; nil when it is not three base64url parts of JSON.
struct ReceivedJWT {
    let header: [String: Any]
    let claims: [String: Any]
    let signingInput: Data
    let signature: Data

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3,
              let headerData = Base64URL.decode(parts[0]), let claimsData = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]),
              let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: claimsData)) as? [String: Any] else { return nil }
        self.header = header
        self.claims = claims
        signingInput = Data((parts[0] + "." + parts[1]).utf8)
        self.signature = signature
    }
}
