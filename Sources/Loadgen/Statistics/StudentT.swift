import Glibc

/// Student's t distribution for any positive (even fractional) degrees of freedom, computed from
/// the regularized incomplete beta function, not looked up in a table.
enum StudentT {
    /// P(|T| > t): the two-sided tail probability.
    static func twoSidedTail(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard df > 0, t.isFinite else { return t.isNaN ? .nan : 0 }
        let x = df / (df + t * t)
        return IncompleteBeta.regularized(x, a: df / 2, b: 0.5)
    }

    /// P(T <= t).
    static func cdf(_ t: Double, degreesOfFreedom df: Double) -> Double {
        let tail = twoSidedTail(t, degreesOfFreedom: df) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// The critical value t* with P(|T| > t*) = 1 - confidence (1.96 for large df at 95%).
    static func criticalValue(confidence: Double = SeedProtocol.Sweep.confidence, degreesOfFreedom df: Double) -> Double {
        let alpha = 1 - confidence
        guard df > 0, alpha > 0, alpha < 1 else { return .nan }
        // The tail falls as t grows: bracket, then bisect to double precision.
        var low = 0.0
        var high = 1.0
        while twoSidedTail(high, degreesOfFreedom: df) > alpha { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if twoSidedTail(middle, degreesOfFreedom: df) > alpha { low = middle } else { high = middle }
            if high - low <= 1e-13 * high { break }
        }
        return (low + high) / 2
    }
}

/// I_x(a, b), the regularized incomplete beta function, by its continued fraction (modified Lentz).
enum IncompleteBeta {
    static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * log(x) + b * log(1 - x)
        // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// lgamma_r, not lgamma: lgamma writes the global `signgam`, a data race if two threads compute
    /// statistics at once. Arguments here are positive, so the sign is always +1.
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...500 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return result
    }
}
