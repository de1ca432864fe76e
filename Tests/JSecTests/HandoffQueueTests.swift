import Testing
@testable import JSec

/// `HandoffQueue`: an item handed out is the pop's alone — the queue keeps no reference to it (a listener's
/// accepted stream that the application drops must close; a DTLS message read must be freed).
@Suite struct HandoffQueueTests {
    final class Item: Sendable {}

    /// An item that waited in the queue (pushed before the pop) is released once its taker drops it. Before the
    /// fix the queue's array kept every taken item until 64 more had passed, so a listener's stream accepted that
    /// way stayed open after the application dropped it (regression/net-hardening, "dropped streams close
    /// themselves", failed one run in a few with a server socket in CLOSE_WAIT).
    @Test func aQueuedItemIsNotKeptAfterItIsTaken() async throws {
        let queue = HandoffQueue<Item>(capacity: 8, what: "test")
        weak var taken: Item?
        do {
            let item = Item()
            taken = item
            #expect(queue.push(item))
        }
        do {
            let popped = try await queue.pop(timeout: nil)
            #expect(popped === taken)
        }
        #expect(taken == nil, "the queue still holds the item it handed out")
        #expect(queue.count == 0)
    }

    /// Items still come out in order, across many pushes and pops, and `drain` hands over the ones not taken.
    @Test func itemsComeOutInOrderAndDrainTakesTheRest() async throws {
        let queue = HandoffQueue<Int>(capacity: 200, what: "test")
        var next = 0
        for round in 0..<10 {
            for i in 0..<15 { #expect(queue.push(round * 15 + i)) }
            for _ in 0..<12 {
                #expect(try await queue.pop(timeout: nil) == next)
                next += 1
            }
        }
        #expect(queue.count == 30)
        #expect(queue.drain() == Array(next..<150))
        #expect(queue.count == 0)
    }
}
