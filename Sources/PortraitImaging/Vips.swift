import CVips
import CVipsShim
import Foundation

/// libvips set up once per process.
enum Vips {
    /// Starts libvips on first use. The operation cache is off: every photo is new, and a cache
    /// would only keep decoded pixels alive and make memory grow with the number of photos.
    static let ready: Void = {
        guard vips_init(CommandLine.arguments.first ?? "portrait") == 0 else {
            fatalError("libvips could not start: \(takeError())")
        }
        vips_cache_set_max(0)
        // Portrait renders one photo per core itself: libvips' own worker threads per operation
        // would only add thread wake-ups (a fifth of a push's CPU went to the kernel).
        vips_concurrency_set(1)
        // liborc, which libvips compiles its resize loops with, frees compiled code without a lock
        // (libvips PR #1211, sharp #172): with photos resized on every core it crashed a push
        // (segfault in orc_code_chunk_merge) — libvips' plain C loops instead.
        pv_vector_disable()
        // libvips warns on stderr about recoverable oddities (an ignored colour profile); a
        // damaged file is an error through fail_on instead, so the warnings would only be noise.
        g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, { _, _, _, _ in }, nil)
    }()

    /// The text of libvips' last errors, which it keeps in a process-wide buffer.
    static func takeError() -> String {
        guard let copy = vips_error_buffer_copy() else { return "" }
        defer { g_free(copy) }
        return String(cString: copy).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every use of libvips passes through here. libvips keeps one error buffer for the whole
    /// process, and its JPEG loader leaves warnings there even when a decode succeeds, so with
    /// photos decoded side by side a failure's message may be another photo's. Work runs shared;
    /// a failing photo is decoded again `alone`, with the buffer cleared, to get its own message.
    static let gate = VipsGate()
}

/// A readers–writer lock around libvips: `shared` for normal work, `alone` when nothing else may
/// run in libvips at the same time.
public final class VipsGate: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        // A waiting `alone` must not starve behind a steady stream of shared work.
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    func shared<T>(_ body: () throws -> T) rethrows -> T {
        Vips.ready
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` with no other libvips work in flight and libvips' error buffer empty.
    func alone<T>(_ body: () throws -> T) rethrows -> T {
        Vips.ready
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        vips_error_clear()
        return try body()
    }

    /// Waits for libvips work in flight to finish and lets none start again: the process is about
    /// to exit, and libvips' exit handler frees what a running decode still uses.
    public static func closeForExit() {
        pthread_rwlock_wrlock(Vips.gate.lock)
    }
}

/// Owns one reference to a libvips image.
final class VipsImageRef {
    let pointer: UnsafeMutablePointer<VipsImage>

    init(_ pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
    }

    deinit { g_object_unref(pointer) }

    var width: Int { Int(pointer.pointee.Xsize) }
    var height: Int { Int(pointer.pointee.Ysize) }
    var bands: Int { Int(pointer.pointee.Bands) }
    var format: VipsBandFormat { pointer.pointee.BandFmt }
    var interpretation: VipsInterpretation { vips_image_get_interpretation(pointer) }
    var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }

    /// Runs one libvips operation that writes a new image, or throws with libvips' message.
    func apply(_ operation: (UnsafeMutablePointer<VipsImage>, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) throws -> VipsImageRef {
        var out: UnsafeMutablePointer<VipsImage>?
        guard operation(pointer, &out) == 0, let out else { throw VipsFailure(message: Vips.takeError()) }
        return VipsImageRef(out)
    }

    /// Computes the pixels now and keeps them in memory, so later steps do not decode again.
    func materialised() throws -> VipsImageRef {
        guard let copy = vips_image_copy_memory(pointer) else { throw VipsFailure(message: Vips.takeError()) }
        return VipsImageRef(copy)
    }

    /// Encodes by suffix and options, e.g. ".jpg[Q=85,strip]".
    func encoded(_ suffix: String) throws -> Data {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        guard pv_write_to_buffer(pointer, suffix, &buffer, &length) == 0, let buffer else {
            throw VipsFailure(message: Vips.takeError())
        }
        return Data(bytesNoCopy: buffer, count: length, deallocator: .custom { pointer, _ in g_free(pointer) })
    }

    /// The pixels, row by row, band-interleaved.
    func pixels() throws -> Data {
        var length = 0
        guard let memory = vips_image_write_to_memory(pointer, &length) else {
            throw VipsFailure(message: Vips.takeError())
        }
        return Data(bytesNoCopy: memory, count: length, deallocator: .custom { pointer, _ in g_free(pointer) })
    }
}

/// A libvips call failed; the pipeline turns this into a message that names the photo.
struct VipsFailure: Error {
    var message: String
}
