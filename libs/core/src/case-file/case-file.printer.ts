import { Injectable } from '@nestjs/common';
import { PdfRenderer } from '@app/documents';
import type { PrintableDocument } from '@app/domain';
import { EvidenceService } from '../case-loop/evidence.service';

/**
 * Prints a case's documents (the case file, the party's notice) as PDF: the pictures they name are the case's
 * own, read through the evidence service (previews, which the renderer turns into print JPEGs).
 */
@Injectable()
export class CaseFilePrinter {
  private readonly renderer = new PdfRenderer();

  constructor(private readonly evidence: EvidenceService) {}

  print(caseId: string, doc: PrintableDocument): Promise<Buffer> {
    return this.renderer.render(doc, async (sha256) => (await this.evidence.pictureOf(caseId, sha256, 'preview'))?.bytes);
  }
}
