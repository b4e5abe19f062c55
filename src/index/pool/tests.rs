use super::*;

#[test]
fn blocks_are_whole_grains_covering_the_request() {
    for bytes in (0..5000).chain([1 << 20, (1 << 20) + 1, 100_000_007]) {
        let b = block_len(bytes);
        assert!(b >= bytes.max(1), "{bytes}: block {b} covers the request");
        assert_eq!(b % GRAIN, 0, "{bytes}: whole grains");
        assert!(b - bytes.max(1) < GRAIN, "{bytes}: less than a grain more");
    }
}

#[test]
fn blocks_are_aligned_disjoint_best_fit_and_merged_when_freed() {
    let mut pool = Pool::default();
    let Some(a) = pool.alloc(block_len(5000)) else {
        return; // no huge-page mappings here: every slice uses the heap
    };
    let b = pool.alloc(block_len(5000)).expect("room in the first chunk");
    let c = pool.alloc(block_len(5000)).expect("room in the first chunk");
    let (a_at, b_at, c_at) = (a.as_ptr() as usize, b.as_ptr() as usize, c.as_ptr() as usize);
    assert_eq!(a_at % HUGE, 0, "the first block starts the chunk");
    assert_eq!((b_at - a_at, c_at - b_at), (5056, 5056), "packed, in order");
    pool.check().expect("P1, P2");
    pool.free(block_len(5000), a);
    pool.free(block_len(5000), b);
    pool.check().expect("P1, P2 after two frees");
    assert_eq!(pool.by_start.get(&a_at), Some(&(2 * 5056)), "neighbours merged");
    // Best fit: the merged hole holds a grown block, not the chunk's large tail.
    let grown = pool.alloc(block_len(7000)).expect("the merged hole");
    assert_eq!(grown.as_ptr() as usize, a_at);
    pool.check().expect("P1, P2 after reuse");
    assert_eq!(pool.live_bytes(), block_len(7000) + 5056);
    pool.free(block_len(7000), grown);
    pool.free(block_len(5000), c);
    assert_eq!(pool.live_bytes(), 0);
    pool.check().expect("P1, P2 when empty");
    assert!(pool.chunks.is_empty() && pool.by_start.is_empty(), "an emptied chunk leaves");
    assert_eq!(pool.spares.len(), 1, "its one huge page is a spare");
    assert_eq!(pool.mapped_bytes(), HUGE);
}

#[test]
fn spares_made_ahead_are_kept_only_while_the_pool_has_chunks_and_serve_the_next_chunk() {
    let mut pool = Pool::default();
    let Some(early) = Mapping::populated(HUGE) else {
        return; // no huge-page mappings here: every slice uses the heap
    };
    assert!(!pool.wants_spare(), "P4: a pool without chunks wants no spare");
    let early = pool.offer_spare(early).expect("handed back to be unmapped");
    let Some(full) = pool.alloc(HUGE) else {
        return;
    };
    assert!(pool.wants_spare(), "a pool in use wants spares");
    let mut made = vec![early.ptr() as usize];
    assert!(pool.offer_spare(early).is_none(), "kept");
    while pool.wants_spare() {
        let m = Mapping::populated(HUGE).expect("a second huge page");
        made.push(m.ptr() as usize);
        assert!(pool.offer_spare(m).is_none(), "kept while wanted");
    }
    assert_eq!(pool.spares.len(), MAX_SPARES, "P4: no more than MAX_SPARES");
    let extra = Mapping::populated(HUGE).expect("one more huge page");
    assert!(pool.offer_spare(extra).is_some(), "P4: one past MAX_SPARES is handed back");
    let two = Mapping::populated(2 * HUGE).expect("two huge pages");
    assert!(pool.offer_spare(two).is_some(), "P4: a spare is one huge page");
    pool.check().expect("P1, P2, P4 with spares");
    // The first chunk is full: the next block opens a chunk, and it is a spare made ahead.
    let next = pool.alloc(GRAIN).expect("a spare");
    assert!(made.contains(&(next.as_ptr() as usize)), "the new chunk is a spare made ahead");
    assert_eq!(pool.spares.len(), MAX_SPARES - 1);
    assert_eq!(pool.mapped_bytes(), (2 + MAX_SPARES - 1) * HUGE);
    pool.check().expect("P1, P2, P4 after taking a spare");
    pool.free(GRAIN, next);
    pool.free(HUGE, full);
    assert!(pool.chunks.is_empty());
    assert!(!pool.wants_spare(), "an emptied pool wants none");
    pool.check().expect("P1, P2, P4 when empty");
}

#[test]
fn requests_beyond_a_chunk_open_new_ones_and_emptied_ones_are_unmapped() {
    let mut pool = Pool::default();
    let mut blocks = Vec::new();
    for i in 0..40 {
        let len = block_len(150_000 + i * 1000);
        match pool.alloc(len) {
            Some(b) => blocks.push((len, b)),
            None => return, // no huge-page mappings here
        }
    }
    let big = block_len(3 * HUGE + 5);
    let Some(huge_block) = pool.alloc(big) else {
        return;
    };
    pool.check().expect("P1, P2 across chunks");
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .map(|(l, b)| (b.as_ptr() as usize, *l))
        .chain([(huge_block.as_ptr() as usize, big)])
        .collect();
    spans.sort_unstable();
    assert!(spans.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "no two blocks overlap");
    assert!(pool.chunks.len() >= 4, "several chunks");
    pool.free(big, huge_block);
    for (i, (len, b)) in blocks.drain(..).enumerate() {
        pool.free(len, b);
        if i % 7 == 0 {
            pool.check().expect("P1, P2 while freeing");
        }
    }
    assert_eq!(pool.live_bytes(), 0);
    assert!(pool.chunks.is_empty());
    assert!(pool.spares.len() <= MAX_SPARES, "at most MAX_SPARES spares");
    assert_eq!(pool.mapped_bytes(), pool.spares.len() * HUGE, "the rest is unmapped");
}

#[test]
fn tables_growing_by_inserts_reuse_what_they_free() {
    // 1024 "tables" of 48-byte slots receive inserts at random, each growing by 1/6 when full
    // (as an index's partitions do during a load) from 100 to ~1000 slots; what the pool maps
    // stays near what they hold.
    let mut pool = Pool::default();
    let slot = 48;
    let mut tables: Vec<(usize, usize, NonNull<u8>)> = Vec::new(); // len, cap, block
    for _ in 0..1024 {
        match pool.alloc(block_len(100 * slot)) {
            Some(b) => tables.push((0, 100, b)),
            None => return, // no huge-page mappings here
        }
    }
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut worst = 0.0f64;
    for insert in 0..800_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = &mut tables[(x % 1024) as usize];
        t.0 += 1;
        if t.0 * 16 > t.1 * 15 {
            let cap = t.1 + t.1 / 6;
            let b = pool.alloc(block_len(cap * slot)).expect("mapping");
            pool.free(block_len(t.1 * slot), t.2);
            (t.1, t.2) = (cap, b);
        }
        if insert % 50_000 == 49_999 {
            pool.check().expect("P1, P2 during the load");
            let held: usize = tables.iter().map(|t| block_len(t.1 * slot)).sum();
            // Free ranges between blocks (~20 % here) and the unused rest of a chunk or two.
            let excess = pool.mapped_bytes() - held;
            assert!(
                excess <= held * 3 / 10 + 2 * HUGE,
                "{excess} bytes mapped beyond the {held} held"
            );
            worst = worst.max(pool.mapped_bytes() as f64 / held as f64);
        }
    }
    assert!(worst < 1.6, "mapped / held peaked at {worst:.2}");
    for (_, cap, b) in tables {
        pool.free(block_len(cap * slot), b);
    }
    pool.check().expect("P1, P2 when empty");
    assert_eq!(pool.live_bytes(), 0);
}

#[test]
fn slices_hold_their_values_clone_independently_and_report_their_block() {
    let big = PoolSlice::filled(1000, [7u8; 48], true);
    assert_eq!(big.len(), 1000);
    assert!(big.iter().all(|s| *s == [7u8; 48]));
    assert_eq!(big.reserved_bytes(), 48_000, "48,000 bytes are whole grains");
    if big.is_pooled() {
        assert_eq!(big.as_ptr() as usize % GRAIN, 0);
    }
    let mut copy = big.clone();
    assert_eq!(copy.is_pooled(), big.is_pooled());
    copy[3] = [1u8; 48];
    copy.copy_within(0..10, 1);
    assert_eq!(copy[4], [1u8; 48]);
    assert!(big.iter().all(|s| *s == [7u8; 48]), "the original is untouched");
    let odd = PoolSlice::filled(1001, 5u8, true);
    if odd.is_pooled() {
        assert_eq!(odd.reserved_bytes(), 1024);
    }

    let small = PoolSlice::filled(5, 3u16, false);
    assert!(!small.is_pooled());
    assert_eq!(&small[..], &[3u16; 5]);
    assert_eq!(small.reserved_bytes(), 10);
    let empty = PoolSlice::<u64>::filled(0, 1, true);
    assert!(empty.is_empty() && !empty.is_pooled());
    assert!(empty.clone().is_empty());
}

#[test]
fn slices_from_many_threads_never_share_memory() {
    std::thread::scope(|scope| {
        for t in 0..4u8 {
            scope.spawn(move || {
                for round in 0..50u8 {
                    let n = 100 + usize::from(round) * 37;
                    let mut live: Vec<PoolSlice<[u8; 16]>> = (0..8u8)
                        .map(|k| PoolSlice::filled(n, [t ^ k ^ round; 16], true))
                        .collect();
                    for (k, s) in live.iter_mut().enumerate() {
                        let v = [t ^ k as u8 ^ round; 16];
                        assert!(s.iter().all(|e| *e == v), "thread {t} round {round}");
                        s[n - 1] = v;
                    }
                    live.truncate(3);
                }
            });
        }
    });
    pool().check().expect("P1, P2 after concurrent use");
}
