import Foundation
import PortraitCore
import PortraitImaging
import Testing

/// Inputs from the wild: other formats, colour models, bit depths, metadata, damage and bombs.
@Suite struct InputTests {
    let pipeline = ImagePipeline()
    let profile = RenditionProfile(side: 96)

    func render(_ data: Data, _ origin: String = "input") throws -> Bitmap {
        let rendered = try pipeline.render(Photo(bytes: data, version: nil, origin: origin), profiles: [profile])
        return try Bitmap(decoding: rendered.renditions[0].bytes)
    }

    func near(_ pixel: [UInt8], _ expected: [Int], within tolerance: Int = 12) -> Bool {
        zip(pixel, expected).allSatisfy { abs(Int($0) - $1) <= tolerance }
    }

    @Test(arguments: [Bitmap.Format.png, .tiff, .webp, .gif, .heif])
    func decodesEachFormat(format: Bitmap.Format) throws {
        let source = SamplePortrait.bitmap(seed: 7, width: 240, height: 320)
        let out = try render(try source.encoded(as: format))
        #expect(out.width == 96 && out.height == 96 && out.colour == .rgb)
    }

    @Test func transparentPNGIsFlattenedOnWhite() throws {
        // Left half fully transparent red, right half opaque black.
        var samples = Data()
        for _ in 0..<100 {
            for x in 0..<100 {
                samples.append(contentsOf: x < 50 ? [255, 0, 0, 0] : [0, 0, 0, 255])
            }
        }
        let png = try Bitmap(width: 100, height: 100, colour: .rgba, samples: samples).encoded(as: .png)
        let out = try render(png)
        #expect(out.colour == .rgb)
        #expect(near(out.pixel(x: 10, y: 50), [255, 255, 255]), "transparent is white, is \(out.pixel(x: 10, y: 50))")
        #expect(near(out.pixel(x: 85, y: 50), [0, 0, 0]))
    }

    @Test func cmykJPEGBecomesRGB() throws {
        // Pure cyan ink on the left, nothing (white paper) on the right.
        var samples = Data()
        for _ in 0..<100 {
            for x in 0..<100 {
                samples.append(contentsOf: x < 50 ? [255, 0, 0, 0] : [0, 0, 0, 0])
            }
        }
        let jpeg = try Bitmap(width: 100, height: 100, colour: .cmyk, samples: samples).encoded(as: .jpeg(quality: 95, orientation: nil))
        let out = try render(jpeg)
        #expect(out.colour == .rgb)
        let cyan = out.pixel(x: 10, y: 50).map(Int.init)
        #expect(cyan[0] < 80 && cyan[1] > 120 && cyan[2] > 180, "cyan ink looks cyan, is \(cyan)")
        #expect(near(out.pixel(x: 85, y: 50), [255, 255, 255], within: 20))
    }

    @Test func sixteenBitPNGBecomesEightBit() throws {
        var samples = Data()
        for _ in 0..<100 {
            for _ in 0..<100 {
                for value: UInt16 in [65535, 32768, 0] {
                    withUnsafeBytes(of: value) { samples.append(contentsOf: $0) }
                }
            }
        }
        let png = try Bitmap(width: 100, height: 100, colour: .rgb, bitsPerSample: 16, samples: samples).encoded(as: .png)
        let out = try render(png)
        #expect(out.bitsPerSample == 8)
        #expect(near(out.pixel(x: 50, y: 50), [255, 128, 0]), "is \(out.pixel(x: 50, y: 50))")
    }

    @Test func greyscaleBecomesRGB() throws {
        let grey = Bitmap(width: 64, height: 64, colour: .grey, samples: Data(repeating: 100, count: 64 * 64))
        let out = try render(try grey.encoded(as: .png))
        #expect(out.colour == .rgb)
        #expect(near(out.pixel(x: 30, y: 30), [100, 100, 100], within: 4))
    }

    @Test func metadataIsStripped() throws {
        let plain = try SamplePortrait.bitmap(seed: 8, width: 200, height: 200).encoded(as: .jpeg(quality: 90, orientation: nil))
        let tagged = JPEGSegments.inserting([
            JPEGSegments.exif(description: "GPS 51.5007N 0.1246W SECRET-LOCATION"),
            JPEGSegments.comment("photographer notes SECRET-COMMENT"),
        ], into: plain)
        // The input really carries it; the output must not.
        #expect(tagged.range(of: Data("SECRET-LOCATION".utf8)) != nil)
        let rendered = try pipeline.render(Photo(bytes: tagged, version: nil, origin: "gps.jpg"), profiles: [profile, RenditionProfile(side: 648)])
        for rendition in rendered.renditions {
            let bytes = rendition.bytes
            #expect(bytes.range(of: Data("SECRET".utf8)) == nil)
            #expect(bytes.range(of: Data("Exif".utf8)) == nil)
            #expect(JPEGSegments.markers(in: bytes).allSatisfy { $0 != 0xE1 && $0 != 0xFE && $0 != 0xE2 }, "no APP1, COM or ICC segments")
        }
    }

    @Test func garbageIsNotAReadableImage() throws {
        #expect {
            _ = try render(Data("this is not an image at all".utf8), "photos/notes.jpg")
        } throws: { error in
            "\(error)".hasPrefix("not a readable image: photos/notes.jpg")
        }
    }

    @Test func truncatedJPEGIsNotAReadableImage() throws {
        let whole = try SamplePortrait.bitmap(seed: 9, width: 400, height: 400).encoded(as: .jpeg(quality: 90, orientation: nil))
        let truncated = whole.prefix(whole.count / 2)
        #expect {
            _ = try render(Data(truncated), "photos/cut.jpg")
        } throws: { error in
            "\(error)".hasPrefix("not a readable image: photos/cut.jpg")
        }
    }

    @Test func emptyFileIsNotAReadableImage() throws {
        #expect { _ = try render(Data(), "empty.jpg") } throws: { "\($0)".contains("not a readable image: empty.jpg") }
    }

    @Test func oversizedFileIsRefusedBeforeDecoding() throws {
        let huge = Data(count: Photo.maxInputBytes + 1)
        #expect { _ = try render(huge, "scan.tif") } throws: { error in
            guard case ImageError.tooLarge(let origin, _, Photo.maxInputBytes) = error else { return false }
            return origin == "scan.tif"
        }
        // A photographer's 80 MB TIFF passes when the limit is raised.
        let raised = ImagePipeline(maxInputBytes: 100 * 1024 * 1024)
        #expect { _ = try raised.render(Photo(bytes: huge, version: nil, origin: "scan.tif"), profiles: [profile]) } throws: { error in
            if case ImageError.tooLarge = error { return false }
            return "\(error)".contains("scan.tif")
        }
    }

    /// Damage in the middle of a file, as a failing disk or a broken copy leaves it.
    enum Damage: CaseIterable {
        /// 8 KB of zeros halfway through.
        case zeroed
        /// One byte in every 997 overwritten.
        case sprinkled

        func apply(to data: Data) -> Data {
            var bytes = [UInt8](data)
            switch self {
            case .zeroed:
                let middle = bytes.count / 2
                for index in middle..<min(bytes.count, middle + 8192) { bytes[index] = 0 }
            case .sprinkled:
                for index in stride(from: 2000, to: bytes.count - 2, by: 997) { bytes[index] = 0x55 }
            }
            return Data(bytes)
        }
    }

    @Test(arguments: [Bitmap.Format.jpeg(quality: 90, orientation: nil), .png, .webp], Damage.allCases)
    func damagedInTheMiddleIsNotAReadableImage(format: Bitmap.Format, damage: Damage) throws {
        let whole = try SamplePortrait.bitmap(seed: 11, width: 1200, height: 1600).encoded(as: format)
        #expect(whole.count > 60_000, "big enough for the damage to land in the image data")
        _ = try render(whole)
        #expect {
            _ = try render(damage.apply(to: whole), "photos/damaged")
        } throws: { error in
            "\(error)".hasPrefix("not a readable image: photos/damaged (")
        }
    }

    @Test func aFewBytesOfPaddingAfterAJPEGAreFine() throws {
        var padded = try SamplePortrait.bitmap(seed: 12, width: 300, height: 400).encoded(as: .jpeg(quality: 90, orientation: nil))
        // Some cameras leave a few bytes before the end-of-image marker.
        padded.insert(contentsOf: [0x00, 0x00, 0x00], at: padded.count - 2)
        #expect(try render(padded).width == 96)
    }

    @Test func eachPhotosErrorIsItsOwn() throws {
        // A JPEG with a harmless warning (an unknown JFIF version) decodes fine, but libjpeg's
        // warning lands in libvips' process-wide error buffer; a damaged WebP decoded beside it
        // must still be told with its own message.
        let plain = try SamplePortrait.bitmap(seed: 13, width: 600, height: 800).encoded(as: .jpeg(quality: 90, orientation: nil))
        let oddJFIF = JPEGSegments.inserting([JPEGSegments.jfif(major: 3)], into: plain)
        let brokenWebP = Damage.sprinkled.apply(to: try SamplePortrait.bitmap(seed: 14, width: 1200, height: 1600).encoded(as: .webp))
        let messages = Messages()
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            if index % 2 == 0 {
                _ = try? pipeline.render(Photo(bytes: oddJFIF, version: nil, origin: "odd.jpg"), profiles: [profile])
            } else {
                do {
                    _ = try pipeline.render(Photo(bytes: brokenWebP, version: nil, origin: "broken.webp"), profiles: [profile])
                    messages.add("rendered")
                } catch {
                    messages.add("\(error)")
                }
            }
        }
        #expect(messages.all.count == 12)
        for message in messages.all {
            #expect(message.hasPrefix("not a readable image: broken.webp (webp") && !message.contains("Jpeg"), "\(message)")
        }
    }

    @Test func decompressionBombIsRefusedBeforeDecoding() throws {
        // A PNG header claiming 20000×20000 pixels (400 megapixels) in a few hundred bytes.
        let bomb = try Bitmap(width: 1, height: 1, colour: .grey, samples: Data([0])).encoded(as: .png)
        var patched = bomb
        // IHDR width and height sit at bytes 16–23; the CRC is not checked before the size guard.
        let side = UInt32(20_000).bigEndian
        withUnsafeBytes(of: side) { patched.replaceSubrange(16..<20, with: $0) }
        withUnsafeBytes(of: side) { patched.replaceSubrange(20..<24, with: $0) }
        #expect { _ = try render(patched, "bomb.png") } throws: { error in
            if case ImageError.tooManyPixels(let origin, 20_000, 20_000) = error { return origin == "bomb.png" }
            // libvips may already refuse the patched header as damaged: refused either way.
            return "\(error)".contains("not a readable image: bomb.png")
        }
    }

    @Test func otherFormatsAreNotHandedToLibvips() throws {
        let svg = Data("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>".utf8)
        #expect { _ = try render(svg, "face.svg") } throws: { "\($0)".contains("face.svg") }
    }
}

/// Collects messages from concurrent work.
final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}

/// Builds and reads JPEG marker segments, to plant metadata and check it is gone.
enum JPEGSegments {
    static func exif(description: String) -> Data {
        // "Exif\0\0", then a big-endian TIFF with one IFD entry: ImageDescription (ASCII).
        let text = Array(description.utf8) + [0]
        var tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]
        tiff += [0x00, 0x01]  // one entry
        tiff += [0x01, 0x0E, 0x00, 0x02]  // tag 0x010E, type ASCII
        tiff += bigEndian32(UInt32(text.count))
        tiff += bigEndian32(8 + 2 + 12 + 4)  // value right after the IFD
        tiff += [0, 0, 0, 0]  // no next IFD
        tiff += text
        return segment(0xE1, Array("Exif".utf8) + [0, 0] + tiff)
    }

    static func comment(_ text: String) -> Data { segment(0xFE, Array(text.utf8)) }

    /// A JFIF header (APP0) of the given major version: libjpeg warns about any but 1.
    static func jfif(major: UInt8) -> Data { segment(0xE0, Array("JFIF".utf8) + [0, major, 2, 0, 0, 1, 0, 1, 0, 0]) }

    static func inserting(_ segments: [Data], into jpeg: Data) -> Data {
        var out = Data(jpeg.prefix(2))  // SOI
        segments.forEach { out.append($0) }
        out.append(jpeg.dropFirst(2))
        return out
    }

    /// The marker bytes of the segments before the image data.
    static func markers(in jpeg: Data) -> [UInt8] {
        let bytes = [UInt8](jpeg)
        var markers: [UInt8] = []
        var index = 2
        while index + 4 <= bytes.count, bytes[index] == 0xFF {
            let marker = bytes[index + 1]
            markers.append(marker)
            if marker == 0xDA { break }  // start of scan
            index += 2 + Int(bytes[index + 2]) << 8 + Int(bytes[index + 3])
        }
        return markers
    }

    private static func segment(_ marker: UInt8, _ payload: [UInt8]) -> Data {
        let length = payload.count + 2
        return Data([0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload)
    }

    private static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
