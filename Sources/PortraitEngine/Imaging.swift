import Foundation
import PortraitCore
import PortraitImaging

/// libvips work for the engines, bounded: photos held at once (each may be a whole original),
/// and renders one per core on Dispatch's threads, so Swift concurrency's threads stay free for I/O.
struct Imaging: Sendable {
    let pipeline: ImagePipeline
    /// Photos being read or rendered at once: bounds memory.
    let photoSlots: Limiter
    /// Renders at once: one per core.
    let renderSlots: Limiter

    init(pipeline: ImagePipeline, cores: Int) {
        self.pipeline = pipeline
        photoSlots = Limiter(width: cores + 2)
        renderSlots = Limiter(width: cores)
    }

    func render(_ photo: Photo, profiles: [RenditionProfile], measure: Bool = false) async throws -> RenderedPhoto {
        try await run { try $0.render(photo, profiles: profiles, measure: measure) }
    }

    func measures(of photo: Photo) async throws -> PhotoMeasures {
        try await run { try $0.measures(of: photo) }
    }

    func fingerprints(of photo: Photo) async throws -> [Fingerprint] {
        try await run { try $0.fingerprints(of: photo) }
    }

    func master(of photo: Photo) async throws -> Master {
        try await run { try $0.master(of: photo) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable (ImagePipeline) throws -> T) async throws -> T {
        try await renderSlots.withPermit {
            try await offload { [pipeline] in try work(pipeline) }
        }
    }
}
