//! Fixed-capacity storage: a length proven to fit its array when it is made, so that
//! slicing the array with it cannot fail later. Keys, PINs, card digits and MACs live in
//! arrays of this kind instead of heap buffers.

/// A length of at most `N`, checked once when made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub(crate) struct Len<const N: usize>(usize);

impl<const N: usize> Len<N> {
    /// `len` if it is at most `N`.
    pub(crate) const fn new(len: usize) -> Option<Self> {
        if len <= N { Some(Self(len)) } else { None }
    }

    /// `len`, or `N` if it is larger (for counts that cannot exceed `N`, such as items
    /// zipped with an array of `N`).
    pub(crate) const fn clamped(len: usize) -> Self {
        if len <= N { Self(len) } else { Self(N) }
    }

    /// The constant length `L`, checked against `N` when the crate compiles.
    pub(crate) const fn fixed<const L: usize>() -> Self {
        const { assert!(L <= N) };
        Self(L)
    }

    /// The length.
    pub(crate) const fn get(self) -> usize {
        self.0
    }

    /// The length as a byte, for capacities of at most 255 (checked when the crate
    /// compiles).
    pub(crate) const fn as_u8(self) -> u8 {
        const { assert!(N <= 255) };
        // `self.0 <= N <= 255`: the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        let byte = self.0 as u8;
        byte
    }

    /// The first `self` items of `items` (the split cannot fail: `self` is at most `N`).
    pub(crate) fn of<T>(self, items: &[T; N]) -> &[T] {
        items.split_at(self.0).0
    }

    /// The first `self` items of `items`, mutable.
    pub(crate) fn of_mut<T>(self, items: &mut [T; N]) -> &mut [T] {
        items.split_at_mut(self.0).0
    }
}

/// ASCII digits as text. Every caller holds bytes `0`–`9` only, which are UTF-8, so the
/// empty fallback is never taken; it exists because the conversion is checked.
pub(crate) fn ascii_str(digits: &[u8]) -> &str {
    core::str::from_utf8(digits).unwrap_or_default()
}

/// Copies `src` into the front of `dst` (as far as both go) and returns how many bytes
/// were copied.
pub(crate) fn copy_prefix(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0;
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
        n += 1;
    }
    n
}

/// XORs `src` into `dst`, byte by byte, as far as both go.
pub(crate) fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_above_the_capacity_are_refused() {
        assert!(Len::<4>::new(5).is_none());
        let len = Len::<4>::new(3).unwrap();
        assert_eq!(len.of(&[1, 2, 3, 4]), &[1, 2, 3]);
        assert_eq!(Len::<4>::new(0).unwrap().of(&[1, 2, 3, 4]), &[] as &[i32]);
    }
}
