//! A tree as queries see it: the flat tree a build or the catalog file gave (index/flat.rs,
//! shared by every copy of the index, never changed), the points added since in an rstar tree,
//! and the keys of the flat tree's points that have left it. A server's index takes edits for as
//! long as it runs, an app's for a session of syncs: once the edits are a fair share of the flat
//! tree, the tree is packed afresh from its points, so walks never wade through many points that
//! left.

use std::collections::{BinaryHeap, HashSet};
use std::sync::Arc;

use rstar::{AABB, RTree};

use super::flat::{FlatTree, Nearer};
use super::{NodeParams, TreePoint};

#[derive(Clone, Default)]
pub struct Tree {
    flat: Arc<FlatTree>,
    /// Keys of the flat tree's points no longer in this tree (each one that the flat tree holds).
    left: HashSet<u32>,
    added: RTree<TreePoint, NodeParams>,
}

/// Points in ascending squared chord distance to a query, with that distance.
pub type Walk<'a> = Box<dyn Iterator<Item = (TreePoint, f64)> + 'a>;

/// Edits (points left plus points added) a tree takes before it is packed afresh: an eighth of
/// its flat tree, and at least this many (small trees are cheap to walk, and cheap to pack).
const EDITS_BEFORE_PACKING: usize = 64;

impl Tree {
    pub fn new(points: Vec<TreePoint>) -> Tree {
        Tree::from_flat(FlatTree::new(points))
    }

    pub fn from_flat(flat: FlatTree) -> Tree {
        Tree {
            flat: Arc::new(flat),
            ..Tree::default()
        }
    }

    pub fn size(&self) -> usize {
        self.flat.len() - self.left.len() + self.added.size()
    }

    /// The flat tree alone, when nothing has changed since it was made: what the file keeps.
    pub fn unchanged(&self) -> Option<&FlatTree> {
        (self.left.is_empty() && self.added.size() == 0).then_some(&*self.flat)
    }

    pub fn insert(&mut self, point: TreePoint) {
        self.added.insert(point);
        self.pack_if_worn();
    }

    /// Takes the station at `point` out of the tree; false if it was not there. A point added
    /// since the flat tree was made must match exactly (this process worked it out); one of the
    /// flat tree's is found by its key alone, as the file may have come from another machine
    /// whose sines differ in the last bit.
    pub fn remove(&mut self, point: &TreePoint) -> bool {
        let removed = self.added.remove(point).is_some()
            || (!self.left.contains(&point.data)
                && self.flat.holds_key(point.data)
                && self.left.insert(point.data));
        self.pack_if_worn();
        removed
    }

    /// Packs the tree afresh from its points once its edits are a fair share of it.
    fn pack_if_worn(&mut self) {
        let edits = self.left.len() + self.added.size();
        if edits > EDITS_BEFORE_PACKING.max(self.flat.len() / 8) {
            let flat = self.flat.points().iter().filter(|p| self.still_here(p));
            let points = flat.chain(self.added.iter()).copied().collect();
            *self = Tree::new(points);
        }
    }

    fn still_here(&self, point: &TreePoint) -> bool {
        self.left.is_empty() || !self.left.contains(&point.data)
    }

    /// This tree's points in ascending squared chord distance to `q`: one walk, or two to merge
    /// (`nearest_merged`) once points were added.
    fn walks(&self, q: [f64; 3]) -> impl Iterator<Item = Walk<'_>> {
        let flat: Walk<'_> = Box::new(
            self.flat
                .nearest(q)
                .filter(|(p, _)| self.still_here(p))
                .map(|(p, d2)| (*p, d2)),
        );
        let added: Option<Walk<'_>> = (self.added.size() > 0).then(|| {
            Box::new(
                self.added
                    .nearest_neighbor_iter_with_distance_2(q)
                    .map(|(p, d2)| (*p, d2)),
            ) as Walk<'_>
        });
        std::iter::once(flat).chain(added)
    }

    /// Points within squared chord `r2` of `q`, in no particular order.
    pub fn within(&self, q: [f64; 3], r2: f64) -> impl Iterator<Item = TreePoint> + '_ {
        let flat = self.flat.within(q, r2).filter(|p| self.still_here(p));
        flat.chain(self.added.locate_within_distance(q, r2))
            .copied()
    }

    /// Points inside `envelope` (edges included), in no particular order.
    pub fn in_envelope(&self, envelope: AABB<[f64; 3]>) -> impl Iterator<Item = TreePoint> + '_ {
        let flat = self.flat.in_box(envelope.lower(), envelope.upper());
        let flat = flat.filter(|p| self.still_here(p));
        flat.chain(self.added.locate_in_envelope(envelope)).copied()
    }
}

/// Points of several trees in one ascending order of squared chord distance to `q`.
pub fn nearest_merged<'a>(trees: &[&'a Tree], q: [f64; 3]) -> Walk<'a> {
    let mut walks: Vec<_> = trees.iter().flat_map(|t| t.walks(q)).collect();
    // One walk (the usual case with a rare service in the filter) needs no merging.
    if walks.len() == 1
        && let Some(walk) = walks.pop()
    {
        return walk;
    }
    let mut walks: Vec<_> = walks.into_iter().map(Iterator::peekable).collect();
    // Each walk's next distance, nearest first.
    let mut heads: BinaryHeap<Nearer<usize>> = BinaryHeap::new();
    for (i, s) in walks.iter_mut().enumerate() {
        if let Some(&(_, d2)) = s.peek() {
            heads.push(Nearer { d2, item: i });
        }
    }
    Box::new(std::iter::from_fn(move || {
        let Nearer { item: source, .. } = heads.pop()?;
        let item = walks[source].next()?;
        if let Some(&(_, d2)) = walks[source].peek() {
            heads.push(Nearer { d2, item: source });
        }
        Some(item)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstar::Envelope;

    fn point(lat: f64, lon: f64, key: u32) -> TreePoint {
        TreePoint::new(crate::sphere::LatLon { lat, lon }.unit_vector(), key)
    }

    #[derive(Debug, Clone)]
    enum Edit {
        /// Move station `key % n` to (lat, lon): out at its old place, in at the new.
        Move(u32, f64, f64),
        /// Move station `key % n` back to where it first stood.
        MoveBack(u32),
        Remove(u32),
        /// A station with a new key.
        Add(f64, f64),
        /// The last station removed, back with its key, where it first stood.
        Return,
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<u32>(), 29.0..31.0f64, 113.0..115.0f64)
                .prop_map(|(k, a, o)| Edit::Move(k, a, o)),
            any::<u32>().prop_map(Edit::MoveBack),
            any::<u32>().prop_map(Edit::Remove),
            (29.0..31.0f64, 113.0..115.0f64).prop_map(|(a, o)| Edit::Add(a, o)),
            Just(Edit::Return),
        ]
    }

    #[test]
    fn a_flat_point_worked_out_elsewhere_leaves_by_its_key() {
        let there = point(30.0, 114.0, 7);
        let mut tree = Tree::new(vec![there, point(30.1, 114.1, 8)]);
        // The same station, its position worked out on a machine whose sines differ by a bit.
        let [x, y, z] = *there.geom();
        let here = TreePoint::new([f64::from_bits(x.to_bits() + 1), y, z], 7);
        assert!(tree.remove(&here));
        assert_eq!(tree.size(), 1);
        let q = *there.geom();
        let keys: Vec<u32> = nearest_merged(&[&tree], q).map(|(p, _)| p.data).collect();
        assert_eq!(keys, [8]);
        assert!(!tree.remove(&here), "gone already");
    }

    #[test]
    fn a_worn_tree_is_packed_afresh_with_the_same_points() {
        let points: Vec<TreePoint> = (0..1_000)
            .map(|k| point(30.0 + f64::from(k) / 1e3, 114.0, k))
            .collect();
        let mut tree = Tree::new(points.clone());
        let mut want = points.clone();
        for p in &points[..200] {
            assert!(tree.remove(p));
            let moved = point(31.0, 114.0 + f64::from(p.data) / 1e3, p.data);
            tree.insert(moved);
            want[p.data as usize] = moved;
        }
        assert!(
            tree.left.len() + tree.added.size() <= 1_000 / 8 + 1,
            "packed afresh on the way"
        );
        assert_eq!(tree.size(), 1_000);
        // Every station once, where it now stands.
        let mut walked: Vec<TreePoint> = nearest_merged(&[&tree], *points[0].geom())
            .map(|(p, _)| p)
            .collect();
        walked.sort_by_key(|p| p.data);
        assert_eq!(walked, want);
    }

    #[test]
    fn packing_afresh_costs_a_few_points_an_edit() {
        // A tree filled one station at a time: each packing takes all its points, so packings
        // must grow apart as the tree grows (an eighth of it, at least 64 edits apart).
        let mut tree = Tree::default();
        let mut packings = 0;
        let mut points_packed = 0;
        for k in 0..10_000u32 {
            let flat = tree.flat.clone();
            tree.insert(point(
                30.0 + f64::from(k % 100) / 100.0,
                114.0 + f64::from(k / 100) / 100.0,
                k,
            ));
            if !Arc::ptr_eq(&flat, &tree.flat) {
                packings += 1;
                points_packed += tree.size();
            }
        }
        assert_eq!(tree.size(), 10_000);
        assert!(packings <= 35, "{packings} packings");
        assert!(
            points_packed <= 10 * 10_000,
            "{points_packed} points packed"
        );
    }

    proptest! {
        /// After any edits, the tree's walks hold exactly the points a plain list holds.
        #[test]
        fn an_edited_tree_answers_as_a_list_of_its_points(
            start in prop::collection::vec((29.0..31.0f64, 113.0..115.0f64), 0..400),
            edits in prop::collection::vec(edit(), 0..150),
            q in (28.5..31.5f64, 112.5..115.5f64),
            r in 0.0..0.02f64,
        ) {
            let first: Vec<TreePoint> = start.iter().enumerate().map(|(k, (a, o))| point(*a, *o, k as u32)).collect();
            let mut list = first.clone();
            let mut tree = Tree::new(list.clone());
            let mut next_key = list.len() as u32;
            let mut removed = Vec::new();
            // Where a key first stood (its flat point), for moving back and returning.
            let home = |p: &TreePoint| first.get(p.data as usize).copied();
            for e in edits {
                match e {
                    Edit::Move(k, a, o) if !list.is_empty() => {
                        let i = k as usize % list.len();
                        prop_assert!(tree.remove(&list[i]));
                        prop_assert!(!tree.remove(&list[i]), "removed twice");
                        list[i] = point(a, o, list[i].data);
                        tree.insert(list[i]);
                    }
                    Edit::MoveBack(k) if !list.is_empty() => {
                        let i = k as usize % list.len();
                        if let Some(home) = home(&list[i]) {
                            prop_assert!(tree.remove(&list[i]));
                            list[i] = home;
                            tree.insert(home);
                        }
                    }
                    Edit::Remove(k) if !list.is_empty() => {
                        let gone = list.swap_remove(k as usize % list.len());
                        prop_assert!(tree.remove(&gone));
                        removed.push(gone);
                    }
                    Edit::Add(a, o) => {
                        list.push(point(a, o, next_key));
                        tree.insert(point(a, o, next_key));
                        next_key += 1;
                    }
                    Edit::Return => {
                        if let Some(back) = removed.pop().map(|p| home(&p).unwrap_or(p)) {
                            list.push(back);
                            tree.insert(back);
                        }
                    }
                    _ => {}
                }
                prop_assert_eq!(tree.size(), list.len());
            }
            let q = *point(q.0, q.1, 0).geom();
            let mut want: Vec<(u32, f64)> = list.iter().map(|p| (p.data, super::super::flat::distance_2(p.geom(), &q))).collect();
            want.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));

            let walked: Vec<(u32, f64)> = nearest_merged(&[&tree], q).map(|(p, d2)| (p.data, d2)).collect();
            prop_assert!(walked.windows(2).all(|w| w[0].1 <= w[1].1), "out of order");
            let mut sorted = walked.clone();
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            prop_assert_eq!(sorted, want.clone());

            let mut within: Vec<u32> = tree.within(q, r * r).map(|p| p.data).collect();
            within.sort_unstable();
            let mut near: Vec<u32> = want.iter().filter(|(_, d2)| *d2 <= r * r).map(|(k, _)| *k).collect();
            near.sort_unstable();
            prop_assert_eq!(within, near);

            let envelope = AABB::from_corners([q[0] - r, q[1] - r, q[2] - r], [q[0] + r, q[1] + r, q[2] + r]);
            let mut inside: Vec<u32> = tree.in_envelope(envelope).map(|p| p.data).collect();
            inside.sort_unstable();
            let mut want_inside: Vec<u32> = list.iter().filter(|p| envelope.contains_point(p.geom())).map(|p| p.data).collect();
            want_inside.sort_unstable();
            prop_assert_eq!(inside, want_inside);
        }
    }
}
