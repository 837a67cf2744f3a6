"""The example application of cudaseal's Python support."""
