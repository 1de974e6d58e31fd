"""Pulumi components over the imagepin core.

    from components import PythonImage, ContainerService, LocalRegistry, EcrRepository

Other Pulumi languages use them through the provider host in this folder
(`pulumi package add <repo>/components`, see PulumiPlugin.yaml and __main__.py).
"""

from components.container_service import ContainerService, ContainerServiceArgs
from components.python_image import PythonImage, PythonImageArgs
from components.registry import EcrRepository, EcrRepositoryArgs, LocalRegistry, LocalRegistryArgs

__all__ = [
    "ContainerService",
    "ContainerServiceArgs",
    "EcrRepository",
    "EcrRepositoryArgs",
    "LocalRegistry",
    "LocalRegistryArgs",
    "PythonImage",
    "PythonImageArgs",
]
