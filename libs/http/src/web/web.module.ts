import { Module } from '@nestjs/common';
import { GeoController } from './geo.controller';
import { ReportPhotosController } from './report-photos.controller';

/** What the browser app needs beyond the API: the district's geometry, and after-photo upload for report-back. */
@Module({
  controllers: [GeoController, ReportPhotosController],
})
export class WebModule {}
