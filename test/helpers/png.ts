/**
 * A small PNG decoder for checking screenshots in tests, without a dependency:
 * 8-bit greyscale, RGB or RGBA (colour types 0, 2, 6), not interlaced — what
 * Chromium writes. https://www.w3.org/TR/png-3/
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** Channels per pixel: 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  /** Unfiltered rows, `width * channels` bytes each. */
  readonly pixels: Buffer;
}

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const channelsOf: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

export function decodePng(file: Buffer): DecodedPng {
  if (!file.subarray(0, 8).equals(signature)) throw new Error('not a PNG file');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let offset = 8; offset < file.length; ) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [bitDepth, colourType, , , interlace] = body.subarray(8, 13);
      channels = channelsOf[colourType ?? -1] ?? 0;
      if (bitDepth !== 8 || channels === 0 || interlace !== 0)
        throw new Error(
          `unsupported PNG: depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`,
        );
    } else if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  return {
    width,
    height,
    channels,
    pixels: unfilter(inflateSync(Buffer.concat(data)), width, height, channels),
  };
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth). */
function unfilter(raw: Buffer, width: number, height: number, channels: number): Buffer {
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? out[y * stride + x - channels]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const upLeft = y > 0 && x >= channels ? out[(y - 1) * stride + x - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter ?? 0];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      out[y * stride + x] = (row[x]! + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * How the pixels spread: the share unlike the most common colour, the share of dark pixels
 * (text, not the light lines of borders or grids) and how many colours there are.
 */
export function inkStatistics(png: DecodedPng): { inkShare: number; darkShare: number; colours: number } {
  const counts = new Map<string, number>();
  let dark = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    const pixel = png.pixels.subarray(i, i + png.channels);
    counts.set(pixel.toString('hex'), (counts.get(pixel.toString('hex')) ?? 0) + 1);
    const grey = png.channels < 3 ? pixel[0]! : 0.299 * pixel[0]! + 0.587 * pixel[1]! + 0.114 * pixel[2]!;
    if (grey < 128) dark++;
  }
  const total = png.width * png.height;
  const background = Math.max(...counts.values());
  return { inkShare: (total - background) / total, darkShare: dark / total, colours: counts.size };
}
