//! ESC/POS as a thermal receipt printer reads it: a 1-bit raster image
//! (`GS v 0`), then a feed and a cut (`GS V`), and the cash drawer's kick
//! (`ESC p`). Only bytes: where they go is `transport`.
//!
//! The webview draws the paper (it shapes Arabic) and sends it here as rows
//! of packed bits, most significant bit first, 1 = black: the layout
//! `GS v 0` prints as it is.

use thiserror::Error;

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// Rows per `GS v 0` command: printers buffer a band at a time, and a long
/// receipt in one command overruns the smaller ones. Bands follow each
/// other with no gap on the paper.
pub const BAND_ROWS: usize = 1024;

/// Feed before the cut: the last printed line clears the cutter.
const FEED_LINES: u8 = 4;

/// A 1-bit image as `GS v 0` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    width_bytes: usize,
    rows: Vec<u8>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RasterError {
    #[error("the paper is {width} dots wide; a receipt printer prints 8 to 2,040 dots in whole bytes")]
    Width { width: usize },
    #[error("the picture has {len} bytes, not whole rows of {width_bytes} bytes")]
    Ragged { len: usize, width_bytes: usize },
    #[error("the picture is empty")]
    Empty,
    #[error("the picture is {height} dots long; a receipt prints at most {max}")]
    TooLong { height: usize, max: usize },
}

/// The longest paper printed in one job: about 5 m at 8 dots per mm.
pub const MAX_HEIGHT: usize = 40_000;

impl Raster {
    /// `rows`: `height` rows of `width_dots / 8` bytes each.
    pub fn new(width_dots: usize, rows: Vec<u8>) -> Result<Raster, RasterError> {
        if width_dots == 0 || width_dots % 8 != 0 || width_dots > 2040 {
            return Err(RasterError::Width { width: width_dots });
        }
        let width_bytes = width_dots / 8;
        if rows.is_empty() {
            return Err(RasterError::Empty);
        }
        if rows.len() % width_bytes != 0 {
            return Err(RasterError::Ragged {
                len: rows.len(),
                width_bytes,
            });
        }
        let height = rows.len() / width_bytes;
        if height > MAX_HEIGHT {
            return Err(RasterError::TooLong {
                height,
                max: MAX_HEIGHT,
            });
        }
        Ok(Raster { width_bytes, rows })
    }

    pub fn height(&self) -> usize {
        self.rows.len() / self.width_bytes
    }
}

/// What one print job does besides printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawer {
    Closed,
    /// Kick the drawer open (pin 2) before the paper prints, so the
    /// cashier gives change while it prints.
    Open,
}

/// Initialise the printer (`ESC @`): a job starts from its defaults
/// whatever the last one left set.
fn init(out: &mut Vec<u8>) {
    out.extend_from_slice(&[ESC, b'@']);
}

/// The drawer kick: `ESC p m t1 t2`, pin 2 (m = 0), on 50 ms, off 500 ms
/// (t in 2 ms units).
pub fn kick(out: &mut Vec<u8>) {
    out.extend_from_slice(&[ESC, b'p', 0, 25, 250]);
}

/// `GS v 0 m xL xH yL yH d…` in bands of [`BAND_ROWS`].
fn raster(out: &mut Vec<u8>, image: &Raster) {
    let [xl, xh] = u16::try_from(image.width_bytes)
        .expect("at most 255 bytes wide (Raster::new)")
        .to_le_bytes();
    for band in image.rows.chunks(image.width_bytes * BAND_ROWS) {
        let rows = band.len() / image.width_bytes;
        let [yl, yh] = u16::try_from(rows).expect("a band is at most BAND_ROWS").to_le_bytes();
        out.extend_from_slice(&[GS, b'v', b'0', 0, xl, xh, yl, yh]);
        out.extend_from_slice(band);
    }
}

/// Feed and a partial cut (`ESC d n`, `GS V 1`).
fn feed_and_cut(out: &mut Vec<u8>) {
    out.extend_from_slice(&[ESC, b'd', FEED_LINES, GS, b'V', 1]);
}

/// A whole job: `copies` of `image`, each fed and cut, the drawer kicked
/// first when asked.
pub fn job(image: &Raster, copies: u8, drawer: Drawer) -> Vec<u8> {
    let mut out = Vec::with_capacity((image.rows.len() + 32) * usize::from(copies.max(1)));
    init(&mut out);
    if drawer == Drawer::Open {
        kick(&mut out);
    }
    for _ in 0..copies.max(1) {
        raster(&mut out, image);
        feed_and_cut(&mut out);
    }
    out
}

/// Only the drawer kick (the manager's "Open drawer").
pub fn drawer_only() -> Vec<u8> {
    let mut out = Vec::new();
    init(&mut out);
    kick(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raster_is_whole_rows_of_whole_bytes() {
        assert_eq!(Raster::new(576, vec![0; 72 * 3]).unwrap().height(), 3);
        assert_eq!(Raster::new(577, vec![0; 73]), Err(RasterError::Width { width: 577 }));
        assert_eq!(
            Raster::new(384, vec![0; 49]),
            Err(RasterError::Ragged {
                len: 49,
                width_bytes: 48
            })
        );
        assert_eq!(Raster::new(384, vec![]), Err(RasterError::Empty));
    }

    #[test]
    fn a_job_is_init_kick_image_feed_cut() {
        // 16 dots wide, 2 rows: a diagonal.
        let image = Raster::new(16, vec![0x80, 0x00, 0x40, 0x00]).unwrap();
        let bytes = job(&image, 1, Drawer::Open);
        assert_eq!(
            bytes,
            [
                &[ESC, b'@'][..],
                &[ESC, b'p', 0, 25, 250],
                &[GS, b'v', b'0', 0, 2, 0, 2, 0, 0x80, 0x00, 0x40, 0x00],
                &[ESC, b'd', 4, GS, b'V', 1],
            ]
            .concat()
        );
        let closed = job(&image, 2, Drawer::Closed);
        assert!(
            !closed.windows(2).any(|w| w == [ESC, b'p']),
            "no kick when the drawer stays shut"
        );
        assert_eq!(
            closed.windows(3).filter(|w| *w == [GS, b'V', 1]).count(),
            2,
            "two copies, two cuts"
        );
    }

    #[test]
    fn a_long_picture_goes_in_bands_that_add_up_to_its_height() {
        let height = BAND_ROWS * 2 + 5;
        let image = Raster::new(384, vec![0xff; 48 * height]).unwrap();
        let bytes = job(&image, 1, Drawer::Closed);
        let mut rows = Vec::new();
        let mut at = 0;
        while let Some(pos) = bytes[at..].windows(3).position(|w| w == [GS, b'v', b'0']) {
            let p = at + pos;
            assert_eq!(
                u16::from_le_bytes([bytes[p + 4], bytes[p + 5]]),
                48,
                "every band is 48 bytes wide"
            );
            let n = usize::from(u16::from_le_bytes([bytes[p + 6], bytes[p + 7]]));
            rows.push(n);
            at = p + 8 + 48 * n;
        }
        assert_eq!(rows, [BAND_ROWS, BAND_ROWS, 5]);
    }

    #[test]
    fn open_drawer_alone_prints_nothing() {
        assert_eq!(drawer_only(), [ESC, b'@', ESC, b'p', 0, 25, 250]);
    }
}
