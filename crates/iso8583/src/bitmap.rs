//! Bitmaps as machine words: three `u64`s, bit 63 of word 0 being field 1.

use core::fmt;

/// Which fields a message carries: field `n` (1–192) is bit `63 - (n-1) % 64` of word
/// `(n-1) / 64`, so each word reads as the bitmap does on the wire (big-endian).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Bitmap {
    words: [u64; 3],
}

impl Bitmap {
    /// No fields.
    pub const EMPTY: Self = Self { words: [0; 3] };

    /// A bitmap from its three words (primary, secondary, tertiary).
    pub const fn from_words(words: [u64; 3]) -> Self {
        Self { words }
    }

    /// The three words.
    pub const fn words(&self) -> [u64; 3] {
        self.words
    }

    #[inline]
    const fn locate(n: usize) -> Option<(usize, u64)> {
        if n == 0 || n > 192 {
            None
        } else {
            Some(((n - 1) / 64, 1u64 << (63 - (n - 1) % 64)))
        }
    }

    /// Whether field `n` is present.
    #[inline]
    pub fn contains(&self, n: usize) -> bool {
        Self::locate(n).is_some_and(|(w, bit)| self.words.get(w).is_some_and(|x| x & bit != 0))
    }

    /// Marks field `n` present (ignored outside 1–192).
    #[inline]
    pub fn insert(&mut self, n: usize) {
        if let Some((w, bit)) = Self::locate(n)
            && let Some(x) = self.words.get_mut(w)
        {
            *x |= bit;
        }
    }

    /// Marks field `n` absent.
    #[inline]
    pub fn remove(&mut self, n: usize) {
        if let Some((w, bit)) = Self::locate(n)
            && let Some(x) = self.words.get_mut(w)
        {
            *x &= !bit;
        }
    }

    /// How many fields are present before field `n`.
    #[inline]
    pub fn rank(&self, n: usize) -> usize {
        let Some((w, bit)) = Self::locate(n) else {
            return 0;
        };
        let mut count = 0;
        for (i, x) in self.words.iter().enumerate() {
            if i < w {
                count += x.count_ones() as usize;
            } else if i == w {
                // Bits above `bit` are the lower field numbers.
                count += (x & !(bit | (bit - 1))).count_ones() as usize;
            }
        }
        count
    }

    /// Number of fields present.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether no field is present.
    pub fn is_empty(&self) -> bool {
        self.words == [0; 3]
    }

    /// The fields present, in ascending order.
    pub fn iter(&self) -> Iter {
        Iter {
            words: self.words,
            word: 0,
        }
    }

    /// The highest field present.
    pub fn last(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, &w)| (w != 0).then(|| i * 64 + 64 - w.trailing_zeros() as usize))
    }

    /// Only the fields below `n`.
    #[must_use]
    pub fn below(&self, n: usize) -> Bitmap {
        let mut out = *self;
        for (i, w) in out.words.iter_mut().enumerate() {
            let first = i * 64 + 1;
            if n <= first {
                *w = 0;
            } else if n <= first + 63 {
                // Keep fields first .. n-1: the top (n - first) bits.
                *w &= !(u64::MAX >> (n - first));
            }
        }
        out
    }
}

/// Removes the lowest-numbered field of a bitmap word (its highest set bit) and returns its
/// position in the word, 0–63; `None` when the word is empty.
#[inline(always)]
pub(crate) fn pop_first(word: &mut u64) -> Option<u8> {
    if *word == 0 {
        return None;
    }
    // A non-zero word has fewer than 64 leading zeros: the mask changes nothing.
    let lz = (word.leading_zeros() & 0x3F) as u8;
    *word &= !((1u64 << 63) >> lz);
    Some(lz)
}

/// The first field number of each bitmap word: 1, 65, 129.
pub(crate) const WORD_BASE: [u8; 3] = [1, 65, 129];

/// Iterator over the fields of a [`Bitmap`], lowest first.
#[derive(Clone, Debug)]
pub struct Iter {
    words: [u64; 3],
    word: usize,
}

impl Iterator for Iter {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while let Some(w) = self.words.get_mut(self.word) {
            if let Some(lz) = pop_first(w) {
                return Some(self.word * 64 + usize::from(lz) + 1);
            }
            self.word += 1;
        }
        None
    }
}

impl fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_iterate_rank_and_cut() {
        // 302004C020C09811: the CUPS purchase.
        let b = Bitmap::from_words([0x3020_04C0_20C0_9811, 0, 0]);
        let fields: [usize; 14] = [3, 4, 11, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64];
        assert!(b.iter().eq(fields));
        assert_eq!(b.len(), 14);
        assert_eq!(b.rank(3), 0);
        assert_eq!(b.rank(64), 13);
        assert_eq!(b.last(), Some(64));
        assert!(b.below(35).iter().eq([3, 4, 11, 22, 25, 26]));
        assert!(b.below(1).is_empty());
        assert_eq!(b.below(200), b);
        let mut c = Bitmap::EMPTY;
        c.insert(192);
        c.insert(65);
        assert!(c.iter().eq([65, 192]));
        assert_eq!(c.last(), Some(192));
        assert_eq!(c.rank(192), 1);
        assert!(c.below(129).iter().eq([65]));
    }
}
