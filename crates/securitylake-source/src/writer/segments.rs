//! The segment table: which partition has which open segment, how large and
//! how old each is, and when one must roll. Pure bookkeeping, no I/O: the
//! write-ahead file of a segment is an opaque `S` the table only carries
//! (the [`Writer`](super::Writer) puts its `Wal` there; the tests put `()`),
//! and the time is given by the caller, read from the writer's
//! [`Clock`](super::Clock).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use securitylake_core::layout::PartitionKey;

/// Where one event of a format-1/2 write-ahead file (one record per event,
/// left by an earlier version) is: its time and its record. Only the
/// recovery of such a file and its seal use slots; a columnar segment keeps
/// no per-event state in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    pub time: i64,
    /// The payload's offset in the write-ahead file.
    pub offset: u64,
    /// The payload's length.
    pub len: u32,
}

/// A partition's open segment. Its events stay on disk, in the write-ahead
/// file `spool`, until the segment is sealed; memory holds counters only
/// (a per-event entry was 48 MB for a 2-million-event file).
#[derive(Debug)]
pub(super) struct Segment<S> {
    pub spool: S,
    /// The events appended.
    pub rows: u64,
    /// The size of the spooled events: their estimated bytes in the file.
    pub bytes: u64,
    /// The encoded size of the largest event (it bounds every value's size, the
    /// JSON text of `json_t` and `unmapped` values included).
    pub max_event_bytes: u64,
    pub opened_at: i64,
    pub min_time: i64,
    pub max_time: i64,
}

impl<S> Segment<S> {
    /// An empty segment opened at `now`, whose first event is at `time`.
    pub fn new(spool: S, now: i64, time: i64) -> Self {
        Self {
            spool,
            rows: 0,
            bytes: 0,
            max_event_bytes: 0,
            opened_at: now,
            min_time: time,
            max_time: time,
        }
    }

    /// Records an appended event at `time`: `size` counts in the segment's
    /// bytes, `event_size` (the event alone) in its largest event.
    pub fn push(&mut self, time: i64, size: u64, event_size: u64) {
        self.rows += 1;
        self.bytes += size;
        self.max_event_bytes = self.max_event_bytes.max(event_size);
        self.min_time = self.min_time.min(time);
        self.max_time = self.max_time.max(time);
    }
}

/// The limits the table decides rolls by.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// The file size limit.
    pub max_file_bytes: u64,
    /// The Parquet footer estimate, counted in every file.
    pub overhead: u64,
    /// A segment this old (milliseconds) is due.
    pub max_age_millis: i64,
    /// The bound on buffered events across segments.
    pub max_buffered_bytes: u64,
}

impl Limits {
    /// The largest event (with its record overhead) a segment can take.
    pub fn room(&self) -> u64 {
        self.max_file_bytes
            .saturating_sub(self.overhead)
            .min(self.max_buffered_bytes)
    }
}

/// The open segments by partition, and the segments whose seal failed while
/// their partition already had a new open segment.
#[derive(Debug)]
pub(super) struct SegmentTable<S> {
    limits: Limits,
    open: BTreeMap<PartitionKey, Segment<S>>,
    failed: Vec<(PartitionKey, Segment<S>)>,
}

impl<S> SegmentTable<S> {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            open: BTreeMap::new(),
            failed: Vec::new(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether `partition` has an open segment.
    pub fn contains(&self, partition: &PartitionKey) -> bool {
        self.open.contains_key(partition)
    }

    /// Opens `segment` as the partition's segment (the caller checked that
    /// it has none).
    pub fn insert(&mut self, partition: PartitionKey, segment: Segment<S>) {
        self.open.insert(partition, segment);
    }

    pub fn get_mut(&mut self, partition: &PartitionKey) -> Option<&mut Segment<S>> {
        self.open.get_mut(partition)
    }

    /// The partitions with an open segment, in order.
    pub fn partitions(&self) -> Vec<PartitionKey> {
        self.open.keys().cloned().collect()
    }

    /// The open segments.
    pub fn open_segments(&mut self) -> impl Iterator<Item = &mut Segment<S>> {
        self.open.values_mut()
    }

    /// How many partitions have an open segment.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether appending `size` bytes to `partition` would make its file
    /// exceed `max_file_bytes`: the segment must roll first.
    pub fn needs_roll(&self, partition: &PartitionKey, size: u64) -> bool {
        self.open
            .get(partition)
            .is_some_and(|s| self.limits.overhead + s.bytes + size > self.limits.max_file_bytes)
    }

    /// The partitions whose segment is `max_age` old at `now`.
    pub fn due(&self, now: i64) -> Vec<PartitionKey> {
        self.open
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.opened_at) >= self.limits.max_age_millis)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The partition of the largest open segment (the oldest among equals):
    /// the one the memory bound rolls first.
    pub fn largest(&self) -> Option<PartitionKey> {
        self.open
            .iter()
            .max_by_key(|(_, s)| (s.bytes, std::cmp::Reverse(s.opened_at)))
            .map(|(k, _)| k.clone())
    }

    /// Takes the partition's open segment out (to seal it).
    pub fn take(&mut self, partition: &PartitionKey) -> Option<Segment<S>> {
        self.open.remove(partition)
    }

    /// Puts back a segment whose seal did not happen: as the partition's
    /// open segment when it has none (later events append to it), otherwise
    /// among the failed segments.
    pub fn restore(&mut self, partition: PartitionKey, segment: Segment<S>) {
        match self.open.entry(partition) {
            Entry::Occupied(taken) => self.failed.push((taken.key().clone(), segment)),
            Entry::Vacant(free) => {
                free.insert(segment);
            }
        }
    }

    /// Whether a failed segment waits to be sealed again.
    pub fn has_failed(&self) -> bool {
        !self.failed.is_empty()
    }

    /// Takes the most recently failed segment.
    pub fn pop_failed(&mut self) -> Option<(PartitionKey, Segment<S>)> {
        self.failed.pop()
    }

    /// The failed segments.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn failed(&self) -> &[(PartitionKey, Segment<S>)] {
        &self.failed
    }

    /// The bytes of the open and failed segments.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn bytes(&self) -> u64 {
        self.open
            .values()
            .chain(self.failed.iter().map(|(_, s)| s))
            .map(|s| s.bytes)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use securitylake_core::layout::{AccountId, PartitionKey, Region};

    use super::*;
    use crate::writer::{Clock, ManualClock};

    const DAY: i64 = 86_400_000;
    const T0: i64 = 1_709_164_800_000;

    fn partition(day: i64) -> PartitionKey {
        PartitionKey::for_event_time(
            Region::new("us-east-1").expect("region"),
            AccountId::parse("123456789012").expect("account"),
            T0 + day * DAY,
        )
        .expect("partition")
    }

    fn limits() -> Limits {
        Limits {
            max_file_bytes: 10_000,
            overhead: 1_000,
            max_age_millis: 300_000,
            max_buffered_bytes: 25_000,
        }
    }

    /// What a writer built on the table does, without I/O: an event's id is
    /// its number, a segment's "spool" the list of its ids, and a sealed
    /// segment that list.
    struct Model {
        table: SegmentTable<Vec<u64>>,
        clock: ManualClock,
        sealed: Vec<(PartitionKey, Vec<u64>)>,
        sizes: BTreeMap<u64, u64>,
        accepted: u64,
        rolls_by_size: u64,
        rolls_by_age: u64,
        rolls_by_memory: u64,
    }

    impl Model {
        fn new() -> Self {
            Self {
                table: SegmentTable::new(limits()),
                clock: ManualClock::new(T0 + 3 * DAY),
                sealed: Vec::new(),
                sizes: BTreeMap::new(),
                accepted: 0,
                rolls_by_size: 0,
                rolls_by_age: 0,
                rolls_by_memory: 0,
            }
        }

        fn seal(&mut self, partition: &PartitionKey) {
            let segment = self.table.take(partition).expect("an open segment");
            assert!(segment.rows > 0, "an empty segment was open");
            self.sealed.push((partition.clone(), segment.spool));
        }

        fn roll_aged(&mut self) {
            for partition in self.table.due(self.clock.now_millis()) {
                self.seal(&partition);
                self.rolls_by_age += 1;
            }
        }

        fn write(&mut self, day: i64, size: u64) {
            let partition = partition(day);
            let now = self.clock.now_millis();
            self.roll_aged();
            if self.table.needs_roll(&partition, size) {
                self.seal(&partition);
                self.rolls_by_size += 1;
            }
            while self.table.bytes() + size > self.table.limits().max_buffered_bytes {
                if let Some((failed, segment)) = self.table.pop_failed() {
                    self.sealed.push((failed, segment.spool));
                } else {
                    let largest = self.table.largest().expect("a segment to roll");
                    self.seal(&largest);
                }
                self.rolls_by_memory += 1;
            }
            if !self.table.contains(&partition) {
                self.table.insert(
                    partition.clone(),
                    Segment::new(Vec::new(), now, T0 + day * DAY),
                );
            }
            let id = self.accepted;
            self.accepted += 1;
            self.sizes.insert(id, size);
            let segment = self.table.get_mut(&partition).expect("open");
            segment.spool.push(id);
            segment.push(T0 + day * DAY, size, size);
        }

        /// A seal that fails: the segment comes back, as the open segment
        /// or (when a new one took the partition) as a failed one.
        fn fail_seal(&mut self, day: i64, reopen_first: bool) {
            let partition = partition(day);
            let Some(segment) = self.table.take(&partition) else {
                return;
            };
            // A write while the segment is being sealed, if it fits next to
            // it (the writer counts a segment being sealed in its buffered
            // bytes until the seal ends).
            let room = self.table.bytes() + segment.bytes + 10 <= limits().max_buffered_bytes;
            if reopen_first && room {
                self.write(day, 10);
            }
            self.table.restore(partition, segment);
        }

        fn reseal_failed(&mut self) {
            while let Some((partition, segment)) = self.table.pop_failed() {
                self.sealed.push((partition, segment.spool));
            }
        }

        /// Every accepted event is in exactly one segment (open, failed or
        /// sealed), every segment's bytes are the sum of its events' sizes
        /// and within the file limit, and no open segment is overdue after
        /// the aged ones rolled.
        fn check(&self) {
            let mut seen = BTreeMap::new();
            let mut count = |id: u64| *seen.entry(id).or_insert(0u32) += 1;
            for (_, ids) in &self.sealed {
                ids.iter().copied().for_each(&mut count);
            }
            let segments = self
                .table
                .open
                .values()
                .chain(self.table.failed.iter().map(|(_, s)| s));
            for segment in segments {
                let bytes: u64 = segment.spool.iter().map(|id| self.sizes[id]).sum();
                assert_eq!(segment.bytes, bytes);
                assert_eq!(segment.rows, segment.spool.len() as u64);
                assert!(segment.bytes + limits().overhead <= limits().max_file_bytes);
                segment.spool.iter().copied().for_each(&mut count);
            }
            assert_eq!(seen.len() as u64, self.accepted, "an event went missing");
            assert!(
                seen.values().all(|&n| n == 1),
                "an event is in two segments"
            );
            assert!(self.table.bytes() <= limits().max_buffered_bytes);
        }
    }

    /// Random sequences of writes (to several partitions, of random sizes),
    /// clock moves, failed seals and reseals keep the invariants of
    /// [`Model::check`], and rolls happen exactly when due.
    #[test]
    fn random_event_sequences_keep_every_event_in_exactly_one_segment() {
        for seed in 0..200 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut model = Model::new();
            for _ in 0..rng.usize(1..400) {
                match rng.u8(0..100) {
                    0..=79 => {
                        let day = rng.i64(0..3);
                        let size = rng.u64(1..=2_000);
                        let rolling = model.table.needs_roll(&partition(day), size);
                        let before = model.rolls_by_size;
                        model.write(day, size);
                        // An age roll of the partition first leaves nothing
                        // to roll by size.
                        assert!(model.rolls_by_size <= before + u64::from(rolling));
                    }
                    80..=89 => {
                        let by = Duration::from_millis(rng.u64(0..200_000));
                        model.clock.advance(by);
                        let now = model.clock.now_millis();
                        let due = model.table.due(now);
                        let before = model.rolls_by_age;
                        model.roll_aged();
                        assert_eq!(model.rolls_by_age - before, due.len() as u64);
                        assert!(model.table.due(now).is_empty(), "a due segment stayed open");
                    }
                    90..=95 => model.fail_seal(rng.i64(0..3), rng.bool()),
                    _ => model.reseal_failed(),
                }
                model.check();
            }
            model.reseal_failed();
            for partition in model.table.partitions() {
                model.seal(&partition);
            }
            model.check();
            assert_eq!(model.table.bytes(), 0);
        }
    }

    /// A segment rolls by size exactly when the next event would make its
    /// file exceed the limit (footer included).
    #[test]
    fn needs_roll_is_exact_at_the_file_limit() {
        let mut table = SegmentTable::new(limits());
        let p = partition(0);
        assert!(
            !table.needs_roll(&p, 1_000_000),
            "no segment: nothing to roll"
        );
        table.insert(p.clone(), Segment::new((), 0, T0));
        table.get_mut(&p).expect("open").push(T0, 8_000, 8_000);
        assert!(!table.needs_roll(&p, 1_000), "exactly at the limit fits");
        assert!(table.needs_roll(&p, 1_001));
    }

    /// A segment is due when it is `max_age` old by the clock, not before;
    /// the largest segment (the oldest of equals) is rolled by memory first.
    #[test]
    fn segments_are_due_by_age_and_largest_first() {
        let clock = ManualClock::new(T0);
        let mut table = SegmentTable::new(limits());
        for (day, bytes) in [(0, 500), (1, 900), (2, 900)] {
            let mut segment = Segment::new((), clock.now_millis(), T0);
            segment.push(T0, bytes, bytes);
            table.insert(partition(day), segment);
            clock.advance(Duration::from_secs(60));
        }
        assert_eq!(table.largest(), Some(partition(1)), "oldest of the largest");
        // Opened at T0, T0+60s, T0+120s; now T0+180s.
        clock.advance(Duration::from_millis(119_999));
        assert!(table.due(clock.now_millis()).is_empty());
        clock.advance(Duration::from_millis(1));
        assert_eq!(table.due(clock.now_millis()), vec![partition(0)]);
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            table.due(clock.now_millis()),
            vec![partition(0), partition(1)]
        );
    }

    /// A segment put back goes to its partition if free, else aside.
    #[test]
    fn restore_reopens_or_sets_aside() {
        let mut table = SegmentTable::new(limits());
        let p = partition(0);
        table.insert(p.clone(), Segment::new((), 0, T0));
        let taken = table.take(&p).expect("open");
        table.restore(p.clone(), taken);
        assert!(table.contains(&p) && !table.has_failed());
        let taken = table.take(&p).expect("open");
        table.insert(p.clone(), Segment::new((), 1, T0));
        table.restore(p.clone(), taken);
        assert_eq!(table.failed().len(), 1);
        assert_eq!(table.get_mut(&p).expect("open").opened_at, 1);
    }
}
