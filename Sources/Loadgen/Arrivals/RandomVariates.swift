import Glibc

/// Draws from the distributions arrival processes need, from any uniform generator.
enum RandomVariates {
    /// Uniform in (0, 1]: never 0, so `log` is always finite.
    @inline(__always)
    static func unitInterval<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
        Double((generator.next() >> 11) &+ 1) * 0x1p-53
    }

    /// Exponential with mean 1.
    static func exponential<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
        -log(unitInterval(&generator))
    }

    /// Standard normal (Box-Muller; one of the pair is discarded, which keeps the state simple).
    static func normal<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
        let radius = (-2 * log(unitInterval(&generator))).squareRoot()
        return radius * cos(2 * Double.pi * unitInterval(&generator))
    }

    /// Gamma with this shape and scale 1 (mean = shape), by Marsaglia and Tsang's method; shapes
    /// below 1 use the boost gamma(shape + 1) * U^(1 / shape).
    static func gamma<G: RandomNumberGenerator>(shape: Double, _ generator: inout G) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, &generator) * pow(unitInterval(&generator), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal(&generator)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unitInterval(&generator)
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
