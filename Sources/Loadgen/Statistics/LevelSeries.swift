/// Conclusions across concurrency levels from per-level mean throughputs, in level order (the
/// paper's section 6.3).
struct LevelSeries: Sendable {
    let levels: [Int]
    let means: [Double]

    init(levels: [Int], means: [Double]) {
        self.levels = levels
        self.means = means
    }

    /// Index of the level with the highest mean.
    var peakIndex: Int? {
        means.indices.max { means[$0] < means[$1] }
    }

    /// Index of the first level whose mean is under 1.05x the previous level's (`SeedProtocol.saturatedFactor`).
    var saturationIndex: Int? {
        means.indices.dropFirst().first { means[$0] < SeedProtocol.saturatedFactor * means[$0 - 1] }
    }

    /// The plateau: from the level before the saturation point (the last that still grew by 5%)
    /// to the end. Its relative range (max - min) / mean of the per-level means says how flat
    /// throughput is once saturated (the paper reports it as the spread over the plateau).
    var plateauRelativeRange: Double? {
        guard let saturation = saturationIndex else { return nil }
        let plateau = Array(means[(saturation - 1)...])
        let mean = plateau.reduce(0, +) / Double(plateau.count)
        guard mean > 0, let high = plateau.max(), let low = plateau.min() else { return nil }
        return (high - low) / mean
    }

    /// (max - min) / mean of all the per-level means: the paper's figure for its fine sweep, whose
    /// levels all lie on the plateau.
    var relativeRange: Double? {
        guard let high = means.max(), let low = means.min(), !means.isEmpty else { return nil }
        let mean = means.reduce(0, +) / Double(means.count)
        return mean > 0 ? (high - low) / mean : nil
    }
}
