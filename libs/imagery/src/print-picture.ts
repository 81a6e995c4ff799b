import sharp from 'sharp';

export interface PrintJpeg {
  jpeg: Buffer;
  width: number;
  height: number;
}

/**
 * A picture made fit for a printed document: upright (EXIF orientation applied, since the PDF has no EXIF), no larger
 * than `maxLongSide` px on its long side (never enlarged), re-encoded as a baseline JPEG without metadata. PDF
 * readers draw JPEG natively, so this also turns PNG, WebP and TIFF into something pdfkit can embed.
 */
export async function toPrintJpeg(bytes: Buffer, maxLongSide = 1200): Promise<PrintJpeg> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .resize({ width: maxLongSide, height: maxLongSide, fit: 'inside', withoutEnlargement: true })
    // Transparent PNG/WebP areas print as white paper, not as black.
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80 })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}
