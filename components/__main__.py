"""The component provider host: serves the components to other Pulumi languages.

`pulumi package add <repo>/components` runs this; the package schema (`imagepin:index:...`) is
inferred from the components' TypedDict args and output annotations. Paths in args (`app`,
`lock_file`) are resolved from the provider's working directory: pass absolute paths.
"""

from pulumi.provider.experimental import component_provider_host

from components import ContainerService, EcrRepository, LocalRegistry, PythonImage
from imagepin import __version__

if __name__ == "__main__":
    component_provider_host(
        [PythonImage, ContainerService, LocalRegistry, EcrRepository],
        name="imagepin",
        version=__version__,
    )
