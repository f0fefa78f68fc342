//! A static R-tree over unit vectors, packed the way flatbush packs one: the points in the order
//! of a Hilbert curve over (longitude, z), sixteen to a leaf, each level's boxes over sixteen of
//! the level below. Its shape follows from the number of points alone, so the catalog file keeps
//! only the points in that order and the boxes are worked out again when it is read: nothing in
//! the file can describe a tree other than the one its points make, and reading it is one pass
//! with one allocation per level rather than one per node.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::Read;
use std::ops::Range;
use std::sync::OnceLock;

use super::TreePoint;
use super::bytes::{Fields, Reader, Writer};

/// Children per node: as wide as the rstar trees' widest nodes (index.rs `NodeParams`).
const NODE: usize = 16;

/// Bytes of one point in the file: x, y, z (f64) and the station's key (u32), little-endian.
const POINT_BYTES: usize = 28;

#[derive(Default)]
pub struct FlatTree {
    points: Vec<TreePoint>,
    /// Boxes level by level from the leaves up: `levels[0][i]` bounds `points[i * NODE..]`,
    /// `levels[l][i]` bounds `levels[l - 1][i * NODE..]`; the last level is the root alone.
    levels: Vec<Vec<Bounds>>,
    /// The points' keys in order, sorted when first asked (by an edit: opening does not pay).
    keys: OnceLock<Box<[u32]>>,
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        lo: [f64::INFINITY; 3],
        hi: [f64::NEG_INFINITY; 3],
    };

    fn around(corners: impl Iterator<Item = ([f64; 3], [f64; 3])>) -> Bounds {
        corners.fold(Bounds::EMPTY, |mut b, (lo, hi)| {
            for i in 0..3 {
                b.lo[i] = b.lo[i].min(lo[i]);
                b.hi[i] = b.hi[i].max(hi[i]);
            }
            b
        })
    }

    /// The squared distance from `q` to the box: never more than a point inside it is from `q`
    /// as `distance_2` works it out (each gap is rounded as that point's difference would be,
    /// and summed in the same order), so a walk in this order meets points in distance order.
    fn distance_2(&self, q: &[f64; 3]) -> f64 {
        let mut d2 = 0.0;
        for ((q, lo), hi) in q.iter().zip(self.lo).zip(self.hi) {
            let gap = if *q < lo {
                lo - q
            } else if *q > hi {
                q - hi
            } else {
                0.0
            };
            d2 += gap * gap;
        }
        d2
    }

    fn contains(&self, p: &[f64; 3]) -> bool {
        (0..3).all(|i| self.lo[i] <= p[i] && p[i] <= self.hi[i])
    }

    fn meets(&self, other: &Bounds) -> bool {
        (0..3).all(|i| self.lo[i] <= other.hi[i] && other.lo[i] <= self.hi[i])
    }
}

/// The squared chord between two unit vectors, summed as rstar sums it.
pub fn distance_2(p: &[f64; 3], q: &[f64; 3]) -> f64 {
    let mut d2 = 0.0;
    for (p, q) in p.iter().zip(q) {
        let d = p - q;
        d2 += d * d;
    }
    d2
}

impl FlatTree {
    /// A tree of `points`, put in Hilbert order.
    pub fn new(mut points: Vec<TreePoint>) -> FlatTree {
        hilbert_order(&mut points);
        FlatTree::in_order(points)
    }

    /// A tree of `points` in the order given (a file's, already in Hilbert order; any order
    /// makes a correct tree, only a slower one).
    fn in_order(points: Vec<TreePoint>) -> FlatTree {
        let leaves: Vec<Bounds> = points
            .chunks(NODE)
            .map(|leaf| Bounds::around(leaf.iter().map(|p| (*p.geom(), *p.geom()))))
            .collect();
        // An empty tree has no levels; any other ends in a level of one node, the root.
        let mut levels: Vec<Vec<Bounds>> = Vec::from_iter((!leaves.is_empty()).then_some(leaves));
        while let Some(level) = levels.last().filter(|level| level.len() > 1) {
            let above = level
                .chunks(NODE)
                .map(|nodes| Bounds::around(nodes.iter().map(|b| (b.lo, b.hi))))
                .collect();
            levels.push(above);
        }
        FlatTree {
            points,
            levels,
            keys: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// The points in the tree's order, as the file keeps them.
    pub fn points(&self) -> &[TreePoint] {
        &self.points
    }

    /// Appends the tree as the file keeps it: the count, then each point (x, y, z, key).
    pub fn write(&self, out: &mut Writer) {
        out.count(self.points.len());
        for p in &self.points {
            for c in p.geom() {
                out.f64(*c);
            }
            out.u32(p.data);
        }
    }

    /// A tree written by `write`, read from the front of `part`, if it is whole: every
    /// coordinate finite and every key below `keys`.
    pub fn read(part: &mut Reader<impl Read>, keys: u32) -> Option<FlatTree> {
        let count = part.count(POINT_BYTES)?;
        let mut points = Vec::with_capacity(count);
        for _ in 0..count {
            let record = part.record::<POINT_BYTES>()?;
            let mut field = Fields(&record);
            let xyz = [field.f64()?, field.f64()?, field.f64()?];
            let key = field.u32().filter(|k| *k < keys)?;
            points.push(TreePoint::new(xyz, key));
        }
        Some(FlatTree::in_order(points))
    }

    /// Whether the tree holds a point with this key.
    pub fn holds_key(&self, key: u32) -> bool {
        let keys = self.keys.get_or_init(|| {
            let mut keys: Box<[u32]> = self.points.iter().map(|p| p.data).collect();
            keys.sort_unstable();
            keys
        });
        keys.binary_search(&key).is_ok()
    }

    /// Points within squared chord `r2` of `q`, in no particular order.
    pub fn within(&self, q: [f64; 3], r2: f64) -> impl Iterator<Item = &TreePoint> {
        self.select(
            move |b| b.distance_2(&q) <= r2,
            move |p| distance_2(p.geom(), &q) <= r2,
        )
    }

    /// Points inside the box from `lo` to `hi` (edges included), in no particular order.
    pub fn in_box(&self, lo: [f64; 3], hi: [f64; 3]) -> impl Iterator<Item = &TreePoint> {
        let wanted = Bounds { lo, hi };
        self.select(
            move |b| b.meets(&wanted),
            move |p| wanted.contains(p.geom()),
        )
    }

    fn select<B, P>(&self, box_ok: B, point_ok: P) -> Select<'_, B, P>
    where
        B: Fn(&Bounds) -> bool,
        P: Fn(&TreePoint) -> bool,
    {
        let top = self.levels.len().checked_sub(1);
        Select {
            tree: self,
            nodes: top.map(|l| (l, 0)).into_iter().collect(),
            points: 0..0,
            box_ok,
            point_ok,
        }
    }

    /// Points in ascending squared chord distance to `q`, with that distance.
    pub fn nearest(&self, q: [f64; 3]) -> Nearest<'_> {
        let mut nearest = Nearest {
            tree: self,
            q,
            queue: BinaryHeap::new(),
        };
        if let Some(top) = self.levels.len().checked_sub(1) {
            nearest.push_nodes(top, 0..1);
        }
        nearest
    }

    /// The children of node `index` at `level`: points for a leaf, else nodes one level down.
    fn children(&self, level: usize, index: usize) -> Range<usize> {
        let below = match level {
            0 => self.points.len(),
            l => self.levels[l - 1].len(),
        };
        (index * NODE).min(below)..((index + 1) * NODE).min(below)
    }
}

/// The points under the nodes `box_ok` lets through that `point_ok` lets through.
struct Select<'a, B, P> {
    tree: &'a FlatTree,
    /// Nodes still to look into: (level, index).
    nodes: Vec<(usize, usize)>,
    /// The leaf's points still to look at.
    points: Range<usize>,
    box_ok: B,
    point_ok: P,
}

impl<'a, B, P> Iterator for Select<'a, B, P>
where
    B: Fn(&Bounds) -> bool,
    P: Fn(&TreePoint) -> bool,
{
    type Item = &'a TreePoint;

    fn next(&mut self) -> Option<&'a TreePoint> {
        loop {
            for i in self.points.by_ref() {
                let p = &self.tree.points[i];
                if (self.point_ok)(p) {
                    return Some(p);
                }
            }
            let (level, index) = self.nodes.pop()?;
            if !(self.box_ok)(&self.tree.levels[level][index]) {
                continue;
            }
            let children = self.tree.children(level, index);
            match level {
                0 => self.points = children,
                l => self.nodes.extend(children.map(|c| (l - 1, c))),
            }
        }
    }
}

/// A best-first walk: the queue holds nodes by their box's distance and points by their own,
/// so a point comes out only when nothing left can be nearer.
pub struct Nearest<'a> {
    tree: &'a FlatTree,
    q: [f64; 3],
    queue: BinaryHeap<Nearer<At>>,
}

impl Nearest<'_> {
    fn push_nodes(&mut self, level: usize, nodes: Range<usize>) {
        for index in nodes {
            let d2 = self.tree.levels[level][index].distance_2(&self.q);
            self.queue.push(Nearer {
                d2,
                item: At::Node(level as u8, index as u32),
            });
        }
    }
}

impl<'a> Iterator for Nearest<'a> {
    type Item = (&'a TreePoint, f64);

    fn next(&mut self) -> Option<(&'a TreePoint, f64)> {
        loop {
            let Nearer { d2, item } = self.queue.pop()?;
            match item {
                At::Point(i) => return Some((&self.tree.points[i as usize], d2)),
                At::Node(0, index) => {
                    for i in self.tree.children(0, index as usize) {
                        let d2 = distance_2(self.tree.points[i].geom(), &self.q);
                        self.queue.push(Nearer {
                            d2,
                            item: At::Point(i as u32),
                        });
                    }
                }
                At::Node(level, index) => {
                    let level = usize::from(level);
                    self.push_nodes(level - 1, self.tree.children(level, index as usize));
                }
            }
        }
    }
}

/// What the queue holds, small (the walk moves entries about the heap more than anything
/// else): a tree's points and nodes are counted in u32 (its file's count is one), its levels
/// are a handful.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum At {
    Point(u32),
    /// (level, index)
    Node(u8, u32),
}

/// A heap entry that comes out nearest first (BinaryHeap is a max-heap), ties lowest `item`
/// first: the walk's queue here, the merge of walks in index/tree.rs.
pub struct Nearer<T> {
    pub d2: f64,
    pub item: T,
}

impl<T: Ord> PartialEq for Nearer<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Nearer<T> {}

impl<T: Ord> PartialOrd for Nearer<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for Nearer<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .d2
            .total_cmp(&self.d2)
            .then_with(|| other.item.cmp(&self.item))
    }
}

/// Sorts points along a Hilbert curve over their longitude and z (the sine of latitude), scaled
/// to the points' own extent: neighbours on the curve are neighbours on the map, so a leaf's
/// sixteen points lie close together. Ties (the same cell) go by key, so a build is repeatable.
fn hilbert_order(points: &mut [TreePoint]) {
    let plane = |p: &TreePoint| {
        let [x, y, z] = *p.geom();
        [y.atan2(x), z]
    };
    let mut extent = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points.iter() {
        for (i, c) in plane(p).into_iter().enumerate() {
            extent.0[i] = extent.0[i].min(c);
            extent.1[i] = extent.1[i].max(c);
        }
    }
    let cell = |c: f64, i: usize| {
        let (lo, hi) = (extent.0[i], extent.1[i]);
        // `as` saturates: a NaN or an out-of-range value cannot panic, only sort oddly.
        if hi > lo {
            ((c - lo) / (hi - lo) * f64::from(HILBERT_SIDE - 1)) as u32
        } else {
            0
        }
    };
    points.sort_by_cached_key(|p| {
        let [a, b] = plane(p);
        (hilbert(cell(a, 0), cell(b, 1)), p.data)
    });
}

const HILBERT_SIDE: u32 = 1 << 16;

/// The position of cell (x, y) along a Hilbert curve through a `HILBERT_SIDE`-square grid.
fn hilbert(mut x: u32, mut y: u32) -> u64 {
    let mut d = 0u64;
    let mut s = HILBERT_SIDE / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Turn the quadrant so the curve's pieces join end to end.
        if ry == 0 {
            if rx == 1 {
                x = HILBERT_SIDE - 1 - x;
                y = HILBERT_SIDE - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn point(lat: f64, lon: f64, key: u32) -> TreePoint {
        TreePoint::new(crate::sphere::LatLon { lat, lon }.unit_vector(), key)
    }

    fn points() -> impl Strategy<Value = Vec<TreePoint>> {
        // Up to a few leaves' worth and more, clustered or spread, with repeated positions.
        prop::collection::vec((18.0..54.0f64, 73.0..135.0f64, 0..4u32), 0..700).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(key, (lat, lon, snap))| {
                    let (lat, lon) = match snap {
                        0 => (30.0, 114.0),
                        _ => (lat, lon),
                    };
                    point(lat, lon, key as u32)
                })
                .collect()
        })
    }

    /// Every point with its distance, nearest first (ties by key): the oracle.
    fn by_distance(points: &[TreePoint], q: [f64; 3]) -> Vec<(u32, f64)> {
        let mut all: Vec<(u32, f64)> = points
            .iter()
            .map(|p| (p.data, distance_2(p.geom(), &q)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        all
    }

    proptest! {
        #[test]
        fn walks_equal_a_scan(points in points(), lat in 15.0..56.0f64, lon in 70.0..138.0f64, r in 0.0..0.2f64) {
            let q = point(lat, lon, 0).geom().to_owned();
            let tree = FlatTree::new(points.clone());
            prop_assert_eq!(tree.len(), points.len());

            // Nearest: every point once, in ascending distance.
            let mut walked: Vec<(u32, f64)> = tree.nearest(q).map(|(p, d2)| (p.data, d2)).collect();
            prop_assert!(walked.windows(2).all(|w| w[0].1 <= w[1].1), "out of order");
            walked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            prop_assert_eq!(walked, by_distance(&points, q));

            let mut within: Vec<u32> = tree.within(q, r * r).map(|p| p.data).collect();
            within.sort_unstable();
            let want: Vec<u32> = by_distance(&points, q).into_iter().filter(|(_, d2)| *d2 <= r * r).map(|(k, _)| k).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            prop_assert_eq!(within, want);

            let (lo, hi) = ([q[0] - r, q[1] - r, q[2] - r], [q[0] + r, q[1] + r, q[2] + r]);
            let mut inside: Vec<u32> = tree.in_box(lo, hi).map(|p| p.data).collect();
            inside.sort_unstable();
            let want: Vec<u32> = points.iter().filter(|p| (0..3).all(|i| lo[i] <= p.geom()[i] && p.geom()[i] <= hi[i])).map(|p| p.data).collect();
            prop_assert_eq!(inside, want);

            for p in &points {
                prop_assert!(tree.holds_key(p.data));
            }
            prop_assert!(!tree.holds_key(u32::MAX));
        }

        #[test]
        fn a_written_tree_reads_back_the_same(points in points()) {
            let tree = FlatTree::new(points);
            let mut out = Writer::default();
            tree.write(&mut out);
            out.u8(7); // what follows in the part is left for the next reader
            let bytes = out.finish().expect("nothing too long");
            let mut part = Reader::new(&bytes[..], bytes.len());
            let read = FlatTree::read(&mut part, u32::MAX).expect("reads");
            prop_assert_eq!(read.points(), tree.points());
            prop_assert_eq!(part.u8(), Some(7));
            prop_assert!(part.ends_with_checksum(crc32fast::hash(&bytes)));
        }
    }

    #[test]
    fn a_damaged_tree_is_not_read() {
        let tree = FlatTree::new(
            (0..40)
                .map(|k| point(30.0, 114.0 + f64::from(k) / 100.0, k))
                .collect(),
        );
        let mut out = Writer::default();
        tree.write(&mut out);
        let bytes = out.finish().expect("nothing too long");
        let read = |bytes: &[u8], keys: u32| {
            FlatTree::read(&mut Reader::new(bytes, bytes.len()), keys).map(|t| t.len())
        };
        assert_eq!(read(&bytes, 40), Some(40));
        // A key no station has.
        assert_eq!(read(&bytes, 39), None);
        // Cut short, or a count past the end.
        assert_eq!(read(&bytes[..bytes.len() - 1], 40), None);
        let mut long = bytes.clone();
        long[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read(&long, 40), None);
        // A coordinate that is not a number.
        let mut nan = bytes.clone();
        nan[4..12].copy_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(read(&nan, 40), None);
    }
}
