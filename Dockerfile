# The project's own image: the `kubefed` CLI, which the federation's control plane runs as
# `kubefed dns-controller` (input dns-controller-image). Built from the committed dist/ bundle,
# as the action itself ships; the release workflow pushes it with the action's tag.
FROM node:24-alpine
WORKDIR /app
# package.json says the bundle is an ES module; dist/ needs nothing else (ncc bundled it).
COPY package.json ./
COPY dist/ ./dist/
USER node
ENTRYPOINT ["node", "/app/dist/cli.js"]
