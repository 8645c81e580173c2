import Foundation
import PortraitCore

/// Why a photo could not be turned into renditions. Every case names the photo.
public enum ImageError: Error, Sendable, CustomStringConvertible {
    case unreadable(origin: String, detail: String)
    case unsupportedFormat(origin: String, format: String)
    case tooLarge(origin: String, bytes: Int, limit: Int)
    case tooManyPixels(origin: String, width: Int, height: Int)
    case cannotFit(origin: String, side: Int, maxBytes: Int)
    /// OpenCV failed on this photo.
    case faceDetectionFailed(origin: String, detail: String)
    /// OpenCV's trained cascades are missing: no photo can be looked at for faces.
    case faceDetectionUnavailable(detail: String)

    public var description: String {
        switch self {
        case .unreadable(let origin, let detail):
            let reason = detail.isEmpty ? "" : " (\(detail.split(separator: "\n").first ?? ""))"
            return "not a readable image: \(origin)\(reason); re-export it as JPEG or PNG"
        case .unsupportedFormat(let origin, let format):
            return "unsupported image format \(format): \(origin); use JPEG, PNG, WebP, TIFF, GIF or HEIC"
        case .tooLarge(let origin, let bytes, let limit):
            return "\(origin) is \(Self.megabytes(bytes)); photos over \(Self.megabytes(limit)) are refused — export a smaller copy, or raise max_input_mb in [images]"
        case .tooManyPixels(let origin, let width, let height):
            return "\(origin) is \(width)×\(height) pixels; images over \(Photo.maxInputPixels / 1_000_000) megapixels are refused — export a smaller copy"
        case .cannotFit(let origin, let side, let maxBytes):
            return "\(origin): a \(side)×\(side) JPEG does not fit in \(maxBytes) bytes even at the lowest quality; raise max_bytes or lower side"
        case .faceDetectionFailed(let origin, let detail):
            return "face detection failed on \(origin): \(detail)"
        case .faceDetectionUnavailable(let detail):
            return "face detection is unavailable: \(detail)"
        }
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }
}
