;;; config.el --- ghostwright layer configuration file for Spacemacs -*- lexical-binding: t; -*-

;;; Commentary:

;; Layer variables; set them in `dotspacemacs-configuration-layers', e.g.
;;   (ghostwright :variables ghostwright-layer-transport 'standalone)

;;; Code:

(defvar ghostwright-layer-server-command '("ghostwright" "serve")
  "Program and arguments that start the ghostwright server.")

(defvar ghostwright-layer-initialization-options nil
  "Plist sent as `initializationOptions', e.g. (:completion (:debounceMs 150)).")

(defvar ghostwright-layer-transport 'lsp
  "`lsp': an lsp-mode add-on client beside the main server (the Spacemacs way).
`standalone': ghostwright's own connection, for buffers without lsp-mode.")

(defvar ghostwright-layer-enable-in-prog-modes t
  "When non-nil, `ghostwright-mode' is on in every `prog-mode' buffer.")

;;; config.el ends here
