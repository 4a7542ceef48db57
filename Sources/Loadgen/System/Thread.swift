import Glibc

/// A joinable POSIX thread running a closure: each event loop owns one.
package struct Thread: Sendable {
    package typealias Handle = pthread_t
    package let handle: Handle

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    package init(_ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError(call: "pthread_create", errno: rc)
        }
        self.handle = handle
    }

    /// Waits for the thread to finish. Join each handle exactly once.
    package static func join(_ handle: Handle) {
        pthread_join(handle, nil)
    }
}
