/**
 * Charts for the exported report, drawn by ECharts' server-side SVG renderer (no DOM, no
 * canvas): the same options the view shows, as SVG strings to inline.
 */
import * as echarts from 'echarts/core'
import { HeatmapChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, MarkPointComponent, VisualMapComponent } from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'
import type { EChartsCoreOption } from 'echarts/core'

echarts.use([LineChart, HeatmapChart, GridComponent, LegendComponent, MarkPointComponent, VisualMapComponent, SVGRenderer])

export function renderSvg(option: EChartsCoreOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    // No tooltip in a static picture; no animation, so the final frame is what is drawn.
    chart.setOption({ ...option, animation: false, tooltip: undefined })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}
