import Foundation
import PortraitCore

/// Synthetic head-and-shoulders portraits: the demo's example folder, the tests' inputs and the
/// benchmark's photos. Each seed gives a different person; a little noise gives JPEG something
/// like a real photo's texture.
public enum SamplePortrait {
    public static func bitmap(seed: Int, width: Int, height: Int) -> Bitmap {
        var generator = SeededRandom(seed: UInt64(truncatingIfNeeded: seed))
        func unit() -> Double { generator.unit() }
        let background = (unit(), unit(), unit())
        let backgroundFar = (unit(), unit(), unit())
        // The backdrop's light comes from a different side for every sitting.
        let angle = unit() * 2 * Double.pi
        let (lightX, lightY) = (cos(angle), sin(angle))
        let skin = (0.55 + 0.4 * unit(), 0.4 + 0.35 * unit(), 0.3 + 0.3 * unit())
        let hair = (0.4 * unit(), 0.3 * unit(), 0.25 * unit())
        let shirt = (unit(), unit(), unit())
        let headX = 0.5 + 0.24 * (unit() - 0.5)
        let headY = 0.38 + 0.12 * (unit() - 0.5)
        let headRX = 0.13 + 0.09 * unit()
        let headRY = 0.17 + 0.09 * unit()
        let shoulders = 0.3 + 0.2 * unit()
        let w = Double(width)
        let h = Double(height)

        func inEllipse(_ x: Double, _ y: Double, _ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) -> Bool {
            let dx = (x - cx) / rx
            let dy = (y - cy) / ry
            return dx * dx + dy * dy <= 1
        }
        return Bitmap(width: width, height: height) { px, py in
            let x = Double(px) / w
            let y = Double(py) / h
            var colour: (Double, Double, Double)
            if inEllipse(x, y, headX, headY - headRY * 0.35, headRX * 1.08, headRY * 0.8) && y < headY - headRY * 0.2 {
                colour = hair
            } else if inEllipse(x, y, headX, headY, headRX, headRY) {
                colour = skin
                let eyeY = headY - headRY * 0.15
                if inEllipse(x, y, headX - headRX * 0.4, eyeY, headRX * 0.12, headRY * 0.07)
                    || inEllipse(x, y, headX + headRX * 0.4, eyeY, headRX * 0.12, headRY * 0.07) {
                    colour = (0.1, 0.1, 0.15)
                } else if inEllipse(x, y, headX, headY + headRY * 0.5, headRX * 0.4, headRY * 0.08) {
                    colour = (0.6, 0.2, 0.25)
                }
            } else if inEllipse(x, y, headX, 1.05, shoulders, 0.42) {
                colour = shirt
            } else {
                let t = max(0, min(1, 0.5 + 0.7 * ((x - 0.5) * lightX + (y - 0.5) * lightY)))
                colour = (background.0 * (1 - t) + backgroundFar.0 * t,
                          background.1 * (1 - t) + backgroundFar.1 * t,
                          background.2 * (1 - t) + backgroundFar.2 * t)
            }
            let grain = Double(Int(hashNoise(px, py, seed) % 17) - 8) / 255
            return (channel(colour.0 + grain), channel(colour.1 + grain), channel(colour.2 + grain))
        }
    }

    private static func channel(_ value: Double) -> UInt8 {
        UInt8(max(0, min(255, value * 255)))
    }

    private static func hashNoise(_ x: Int, _ y: Int, _ seed: Int) -> UInt64 {
        var value = UInt64(truncatingIfNeeded: x &* 73_856_093 ^ y &* 19_349_663 ^ seed &* 83_492_791)
        value ^= value >> 13
        value = value &* 0x5bd1e995
        return value ^ (value >> 15)
    }
}
