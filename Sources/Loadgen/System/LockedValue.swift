import Glibc

/// A value behind a pthread mutex, for state two threads touch while both run (a scraper
/// thread appending, the run's thread reading).
///
/// Not `Synchronization.Mutex`: its contended path waits in an uninstrumented futex call, so
/// ThreadSanitizer misses the ordering and reports races that are not there (seen with a
/// scraper appending while another thread polls). `pthread_mutex_lock` is intercepted by the
/// sanitizer, which keeps bench/sanitize.sh meaningful. The mutex lives in its own allocation
/// because a pthread mutex must not move.
package final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
