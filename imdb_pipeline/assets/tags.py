"""The tags every asset carries, so the UI and the asset catalog can be filtered by them:
- `layer`: raw, staging, core or analytics (also the asset's group and key prefix);
- `domain`: the business area, `movies` for all of this code location;
- `tier`: the medallion tier, what a reader may expect of the data: `bronze` as received,
  `silver` typed and cleaned, `gold` modelled for analysts and BI tools."""

from imdb_pipeline.constants import Layer

DOMAIN = "movies"
TIERS = {
    Layer.RAW: "bronze",
    Layer.STAGING: "silver",
    Layer.CORE: "gold",
    Layer.ANALYTICS: "gold",
}


def layer_tags(layer: Layer) -> dict[str, str]:
    return {"layer": layer.value, "domain": DOMAIN, "tier": TIERS[layer]}
