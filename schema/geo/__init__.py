"""The map (网格一张图): points in either datum (`types`), which micro-grid holds a point
(`queries`). Imported by module, so the territory's types can use the point types."""
